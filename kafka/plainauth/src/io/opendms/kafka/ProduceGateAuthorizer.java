/*
 * OpenDMS: Kafka's StandardAuthorizer with a produce gate, for the capacity policy produce_reject.
 * While the gate file exists, every WRITE on a topic (Produce, and AddPartitionsToTxn) is DENIED for
 * every principal, super users included, and every other action is decided by StandardAuthorizer as
 * usual (ACLs, super users, allow.everyone.if.no.acl.found). The brokers' own work never needs WRITE
 * on a topic: replication is Fetch (CLUSTER_ACTION), the group and transaction coordinators append
 * to their logs directly, transaction markers are CLUSTER_ACTION; so the gate stops clients only.
 *
 * Clients get TOPIC_AUTHORIZATION_FAILED (Java: TopicAuthorizationException), a non-retriable error:
 * a producer fails at once instead of retrying silently. The authorizer cannot attach a message to
 * it; OpenDMS shows the reason on the instance (opendms.capacity).
 *
 * Broker configuration:
 *   authorizer.class.name=io.opendms.kafka.ProduceGateAuthorizer
 *   opendms.produce.gate.file=/path/of/the/instance/produce-reject
 *
 * The control plane creates the file to close the gate and removes it to open it again; the
 * authorizer looks at most every 500 ms (a stat, off the request path's locks), so a change applies
 * within half a second, and a restarted broker starts in the state the file says.
 *
 * Depends only on kafka's metadata and server-common jars. Built by dmsd with
 * FilePlainServerCallbackHandler into opendms-plainauth.jar (internal/engine/local/plainauth.go).
 */
package io.opendms.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class ProduceGateAuthorizer extends StandardAuthorizer {
    /** The broker config naming the gate file. */
    public static final String GATE_FILE_CONFIG = "opendms.produce.gate.file";

    private static final Logger log = LoggerFactory.getLogger(ProduceGateAuthorizer.class);
    private static final long CHECK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private volatile Path gateFile;
    private volatile boolean closed;
    private volatile long checkedAt = System.nanoTime() - CHECK_EVERY_NANOS;

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        Object f = configs.get(GATE_FILE_CONFIG);
        if (f != null && !f.toString().isEmpty()) {
            gateFile = Paths.get(f.toString());
            closed = Files.exists(gateFile);
            checkedAt = System.nanoTime();
            log.info("OpenDMS produce gate: {} ({})", closed ? "closed" : "open", gateFile);
        }
    }

    /** Whether the gate is closed now: the file's existence, looked at most every 500 ms. */
    private boolean gateClosed() {
        Path f = gateFile;
        if (f == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - checkedAt >= CHECK_EVERY_NANOS) {
            checkedAt = now;
            boolean c = Files.exists(f);
            if (c != closed) {
                log.info("OpenDMS produce gate: {}", c ? "closed: produce requests are refused" : "open");
            }
            closed = c;
        }
        return closed;
    }

    @Override
    public List<AuthorizationResult> authorize(AuthorizableRequestContext requestContext, List<Action> actions) {
        if (!gateClosed()) {
            return super.authorize(requestContext, actions);
        }
        List<AuthorizationResult> results = new ArrayList<>(super.authorize(requestContext, actions));
        for (int i = 0; i < actions.size(); i++) {
            Action a = actions.get(i);
            if (a.operation() == AclOperation.WRITE && a.resourcePattern().resourceType() == ResourceType.TOPIC) {
                results.set(i, AuthorizationResult.DENIED);
            }
        }
        return results;
    }
}
