// Test driver for io.opendms.kafka.FilePlainServerCallbackHandler (plainauth_test.go runs it with
// `java -cp <libs>/*:<opendms-plainauth.jar> Check.java <jaas.config value>`).
//
// It configures ONE handler the way a broker does (JaasContext.loadServerContext of the listener's
// plain.sasl.jaas.config, then configure), then answers commands read
// from stdin, one a line, with one line "RESULT ..." on stdout (other stdout lines are log output):
//   login <userB64> <passwordB64>          -> RESULT accepted | RESULT refused <message>
//       a PLAIN login through Kafka's own PlainSaslServer (the broker's code path)
//   scram <passwordB64> <saltB64> <iters>  -> RESULT <saltedPasswordB64> <storedKeyB64> <serverKeyB64>
//       Kafka's ScramFormatter derivation (what a Java SCRAM client computes, and the keys the broker
//       derives from an AlterUserScramCredentials upsert of salt + saltedPassword)
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

public class Check {
    public static void main(String[] args) throws Exception {
        ListenerName listener = new ListenerName("SASL_PLAINTEXT");
        Map<String, Object> configs = new HashMap<>();
        // The broker hands the channel builder its configs with the listener prefix stripped
        // (valuesWithPrefixOverride("listener.name.sasl_plaintext.")), so
        // listener.name.sasl_plaintext.plain.sasl.jaas.config arrives as plain.sasl.jaas.config.
        configs.put("plain.sasl.jaas.config", new Password(args[0]));
        JaasContext jaas = JaasContext.loadServerContext(listener, "PLAIN", configs);
        AuthenticateCallbackHandler handler = (AuthenticateCallbackHandler) Class
                .forName("io.opendms.kafka.FilePlainServerCallbackHandler").getDeclaredConstructor().newInstance();
        handler.configure(configs, "PLAIN", jaas.configurationEntries());
        ScramFormatter formatter = new ScramFormatter(ScramMechanism.SCRAM_SHA_512);
        Base64.Decoder dec = Base64.getDecoder();
        Base64.Encoder enc = Base64.getEncoder();
        System.out.println("RESULT ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(" ", -1);
            String result;
            try {
                switch (f[0]) {
                    case "login" -> {
                        String user = new String(dec.decode(f[1]), StandardCharsets.UTF_8);
                        String password = new String(dec.decode(f[2]), StandardCharsets.UTF_8);
                        PlainSaslServer server = new PlainSaslServer(handler);
                        try {
                            server.evaluateResponse(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
                            result = server.isComplete() && user.equals(server.getAuthorizationID()) ? "accepted" : "incomplete";
                        } catch (SaslAuthenticationException e) {
                            result = "refused " + e.getMessage();
                        }
                    }
                    case "scram" -> {
                        String password = new String(dec.decode(f[1]), StandardCharsets.UTF_8);
                        byte[] salt = dec.decode(f[2]);
                        int iterations = Integer.parseInt(f[3]);
                        byte[] salted = formatter.saltedPassword(password, salt, iterations);
                        ScramCredential c = formatter.generateCredential(salt, salted, iterations);
                        result = enc.encodeToString(salted) + " " + enc.encodeToString(c.storedKey()) + " " + enc.encodeToString(c.serverKey());
                    }
                    default -> result = "error unknown command " + f[0];
                }
            } catch (Exception e) { // the handler must not throw: the test fails on this
                result = "error " + e;
            }
            System.out.println("RESULT " + result);
            System.out.flush();
        }
        handler.close();
    }
}
