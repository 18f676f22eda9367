package io.opendms.connect;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.mirror.IdentityReplicationPolicy;

/**
 * A MirrorMaker 2 replication policy that renames the topics named in {@code opendms.topics.mapping}
 * ("src:dst,src2:dst2") and keeps every other topic's name, as IdentityReplicationPolicy does.
 *
 * <p>MM2 configures the policy with the connector's whole config (AbstractConfig.getConfiguredInstance
 * passes the originals), so the mapping is an ordinary key of the MirrorSourceConnector's and the
 * MirrorCheckpointConnector's configs; both must carry the same value.
 *
 * <p>formatRemoteTopic maps a source topic to its target name. upstreamTopic inverts it (a target name
 * gives back its source topic), so MM2's cycle detection follows a renamed topic to its origin and the
 * checkpoint connector translates group offsets onto the renamed topic; topicSource is the identity
 * policy's (the configured source.cluster.alias). Heartbeats topics are never renamed: they follow
 * the identity policy (which formats them as DefaultReplicationPolicy does, "alias.heartbeats"), as do
 * MM2's internal topics (offset-syncs, checkpoints).
 *
 * <p>The mapping must be one-to-one: a source named twice, or two sources mapped to one target, is a
 * ConfigException (the inverse would be ambiguous). Topic names hold neither ':' nor ','.
 */
public class MappingReplicationPolicy extends IdentityReplicationPolicy {
    /** The connector config key of the mapping. */
    public static final String TOPICS_MAPPING_CONFIG = "opendms.topics.mapping";

    private volatile Map<String, String> forward = Collections.emptyMap();
    private volatile Map<String, String> backward = Collections.emptyMap();

    @Override
    public void configure(Map<String, ?> props) {
        super.configure(props);
        Object v = props.get(TOPICS_MAPPING_CONFIG);
        Map<String, String> f = new HashMap<>();
        Map<String, String> b = new HashMap<>();
        if (v != null) {
            String s = v.toString().trim();
            if (!s.isEmpty()) {
                for (String pair : s.split(",", -1)) {
                    String[] kv = pair.split(":", -1);
                    String src = kv.length == 2 ? kv[0].trim() : "";
                    String dst = kv.length == 2 ? kv[1].trim() : "";
                    if (src.isEmpty() || dst.isEmpty()) {
                        throw new ConfigException(TOPICS_MAPPING_CONFIG, s, "each entry must be source:target, got \"" + pair.trim() + "\"");
                    }
                    if (f.containsKey(src)) {
                        throw new ConfigException(TOPICS_MAPPING_CONFIG, s, "topic " + src + " is mapped twice");
                    }
                    if (b.containsKey(dst)) {
                        throw new ConfigException(TOPICS_MAPPING_CONFIG, s, "topics " + b.get(dst) + " and " + src + " are both mapped to " + dst);
                    }
                    f.put(src, dst);
                    b.put(dst, src);
                }
            }
        }
        forward = Collections.unmodifiableMap(f);
        backward = Collections.unmodifiableMap(b);
    }

    /** The mapping (source to target), read-only. */
    public Map<String, String> mapping() {
        return forward;
    }

    private boolean looksLikeHeartbeat(String topic) {
        return topic != null && topic.endsWith(heartbeatsTopic());
    }

    @Override
    public String formatRemoteTopic(String sourceClusterAlias, String topic) {
        if (!looksLikeHeartbeat(topic)) {
            String dst = forward.get(topic);
            if (dst != null) {
                return dst;
            }
        }
        return super.formatRemoteTopic(sourceClusterAlias, topic);
    }

    @Override
    public String upstreamTopic(String topic) {
        if (!looksLikeHeartbeat(topic)) {
            String src = backward.get(topic);
            if (src != null) {
                return src;
            }
        }
        return super.upstreamTopic(topic);
    }
}
