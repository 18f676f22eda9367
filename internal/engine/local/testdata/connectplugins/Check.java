// Test driver for io.opendms.connect.MappingReplicationPolicy (connect_plugins_test.go runs it with
// `java -cp <connect libs>/*:<opendms-connect.jar> Check.java`).
//
// Commands on stdin, one a line (fields separated by a tab; the answer is one "RESULT ..." line):
//   configure <alias> <mapping>   -> RESULT ok | RESULT error <message>   (a new policy, configured
//                                    the way MM2 configures it: MirrorSourceConfig.replicationPolicy())
//   format <alias> <topic>        -> RESULT <formatRemoteTopic(alias, topic)>
//   upstream <topic>              -> RESULT <upstreamTopic(topic)>
//   source <topic>                -> RESULT <topicSource(topic)>
//   original <topic>              -> RESULT <originalTopic(topic)>
//   internal <topic>              -> RESULT <isInternalTopic(topic)>
//   heartbeat <topic>             -> RESULT <isHeartbeatsTopic(topic)>
//   cycle <topic>                 -> RESULT <MirrorSourceConnector's cycle check, as MM2 makes it>
// A null answer prints "null".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.mirror.MirrorSourceConfig;
import org.apache.kafka.connect.mirror.ReplicationPolicy;

public class Check {
    static ReplicationPolicy policy;
    static String target;

    // MirrorSourceConnector.isCycle (Kafka 4.3), over the configured policy.
    static boolean isCycle(String topic) {
        String source = policy.topicSource(topic);
        if (source == null) {
            return false;
        } else if (source.equals(target)) {
            return true;
        } else {
            String upstreamTopic = policy.upstreamTopic(topic);
            if (upstreamTopic == null || upstreamTopic.equals(topic)) {
                return false;
            }
            return isCycle(upstreamTopic);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            String result;
            try {
                switch (f[0]) {
                    case "configure" -> {
                        Map<String, String> props = new HashMap<>();
                        props.put("name", "mm2");
                        props.put("connector.class", "org.apache.kafka.connect.mirror.MirrorSourceConnector");
                        props.put("source.cluster.alias", f[1]);
                        props.put("target.cluster.alias", f[1] + "-target");
                        props.put("replication.policy.class", "io.opendms.connect.MappingReplicationPolicy");
                        props.put("opendms.topics.mapping", f[2]);
                        try {
                            MirrorSourceConfig cfg = new MirrorSourceConfig(props);
                            java.lang.reflect.Method m = cfg.getClass().getSuperclass().getDeclaredMethod("replicationPolicy");
                            m.setAccessible(true);
                            policy = (ReplicationPolicy) m.invoke(cfg);
                            target = f[1] + "-target";
                            result = "ok " + policy.getClass().getName();
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            result = "error " + e.getCause().getMessage();
                        } catch (Exception e) {
                            result = "error " + e.getMessage();
                        }
                    }
                    case "format" -> result = String.valueOf(policy.formatRemoteTopic(f[1], f[2]));
                    case "upstream" -> result = String.valueOf(policy.upstreamTopic(f[1]));
                    case "source" -> result = String.valueOf(policy.topicSource(f[1]));
                    case "original" -> result = String.valueOf(policy.originalTopic(f[1]));
                    case "internal" -> result = String.valueOf(policy.isInternalTopic(f[1]));
                    case "heartbeat" -> result = String.valueOf(policy.isHeartbeatsTopic(f[1]));
                    case "cycle" -> result = String.valueOf(isCycle(f[1]));
                    default -> result = "error unknown command " + f[0];
                }
            } catch (Exception e) {
                result = "error " + e;
            }
            System.out.println("RESULT " + result);
        }
    }
}
