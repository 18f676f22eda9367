// KafkaPemCheck proves that Kafka's own SSL code accepts the PEM files that
// package pki writes. Run by TestKafkaAcceptsPEM with the JDK's single-file
// source launcher:
//
//   java -cp kafka-clients.jar KafkaPemCheck <keystore.pem> <ca.pem>
//
// It configures org.apache.kafka.common.security.ssl.DefaultSslEngineFactory
// twice, the way a broker and a client would:
//   server: ssl.keystore.type=PEM + ssl.truststore.type=PEM (file locations)
//   client: ssl.truststore.type=PEM only, with HTTPS endpoint identification
// then has the Kafka client handshake with the Kafka server over 127.0.0.1
// (verifying the IP SAN), prints "PORT <n>" and serves one more TLS
// connection for the Go side, writing "ok\n" to it.
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;

public class KafkaPemCheck {
    static Map<String, Object> sslConfigs(Map<String, Object> overrides) {
        ConfigDef def = new ConfigDef();
        SslConfigs.addClientSslSupport(def); // all ssl.* keys with Kafka's defaults
        Map<String, Object> parsed = new java.util.HashMap<>(def.parse(overrides));
        parsed.put("ssl.client.auth", "none"); // broker-only key, not in the client ConfigDef
        return parsed;
    }

    public static void main(String[] args) {
        // Print failures ourselves: JDK 17's source launcher can mask an
        // exception thrown out of main behind its own "0 > -7" error.
        try {
            run(args);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    static void run(String[] args) throws Exception {
        String keystore = args[0], truststore = args[1];

        DefaultSslEngineFactory server = new DefaultSslEngineFactory();
        server.configure(sslConfigs(Map.of(
                SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM",
                SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore,
                SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM",
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore)));
        SSLEngine se = server.createServerSslEngine("127.0.0.1", 0);
        System.err.println("server engine protocols: " + String.join(",", se.getEnabledProtocols()));

        DefaultSslEngineFactory client = new DefaultSslEngineFactory();
        client.configure(sslConfigs(Map.of(
                SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM",
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore)));

        SSLServerSocket ss = (SSLServerSocket) server.sslContext().getServerSocketFactory()
                .createServerSocket(0, 2, InetAddress.getByName("127.0.0.1"));
        ss.setEnabledProtocols(se.getEnabledProtocols());
        Thread acceptor = new Thread(() -> {
            try {
                for (int i = 0; i < 2; i++) {
                    try (SSLSocket s = (SSLSocket) ss.accept()) {
                        s.startHandshake();
                        OutputStream out = s.getOutputStream();
                        out.write("ok\n".getBytes());
                        out.flush();
                        s.getInputStream().read(); // wait for the peer to close
                    } catch (Exception e) {
                        System.err.println("server side: " + e);
                    }
                }
            } finally {
                try { ss.close(); } catch (Exception ignored) {}
            }
        });
        acceptor.start();

        // The Kafka client: its own engine settings, plus the endpoint
        // identification Kafka turns on by default (ssl.endpoint.identification.algorithm=https).
        SSLEngine ce = client.createClientSslEngine("127.0.0.1", ss.getLocalPort(), "https");
        SSLSocket cs = (SSLSocket) client.sslContext().getSocketFactory()
                .createSocket("127.0.0.1", ss.getLocalPort());
        SSLParameters p = ce.getSSLParameters();
        cs.setSSLParameters(p);
        cs.startHandshake();
        byte[] buf = new byte[3];
        int n = cs.getInputStream().readNBytes(buf, 0, 3);
        if (n != 3 || !new String(buf).equals("ok\n")) {
            throw new IllegalStateException("java client read " + n + " bytes: " + new String(buf, 0, n));
        }
        System.err.println("java client: handshake ok, " + cs.getSession().getProtocol() + " " + cs.getSession().getCipherSuite()
                + ", endpoint identification " + p.getEndpointIdentificationAlgorithm());
        cs.close();

        System.out.println("PORT " + ss.getLocalPort());
        System.out.flush();
        acceptor.join(60_000);
        if (acceptor.isAlive()) {
            throw new IllegalStateException("Go client never connected");
        }
    }
}
