/*
 * OpenDMS: SASL/PLAIN server callback handler for Apache Kafka brokers that checks passwords against
 * SCRAM-SHA-512 StoredKeys kept in a properties file, so one secret serves both PLAIN and
 * SCRAM-SHA-512 and no cleartext password is stored. The file is re-read when it changes: users are
 * added, changed and removed without a broker restart.
 *
 * Broker configuration, per SASL listener <l>:
 *   listener.name.<l>.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required credentialsFile="/path/plain-users.properties";
 *   listener.name.<l>.plain.sasl.server.callback.handler.class=io.opendms.kafka.FilePlainServerCallbackHandler
 *
 * File format (java.util.Properties, UTF-8), one user a line:
 *   <user>=<saltBase64>:<iterations>:<storedKeyBase64>
 * with SaltedPassword = PBKDF2-HMAC-SHA512(password, salt, iterations, 64 bytes),
 * ClientKey = HMAC-SHA512(SaltedPassword, "Client Key") and StoredKey = SHA-512(ClientKey), i.e. the
 * StoredKey of the user's SCRAM-SHA-512 credential (RFC 5802). The control plane (Go, internal/scram)
 * writes it atomically (temp file + rename).
 *
 * Depends only on kafka-clients and slf4j-api. Built by dmsd (internal/engine/local/plainauth.go)
 * with javac --release 17 into opendms-plainauth.jar in the broker's libs directory.
 */
package io.opendms.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class FilePlainServerCallbackHandler implements AuthenticateCallbackHandler {
    /** The PlainLoginModule JAAS option naming the credentials file. */
    public static final String CREDENTIALS_FILE_OPTION = "credentialsFile";

    // Kafka's bounds for SCRAM-SHA-512 iterations (ScramMechanism.minIterations/maxIterations); the
    // upper bound also caps the PBKDF2 work a login can cost.
    static final int MIN_ITERATIONS = 4096;
    static final int MAX_ITERATIONS = 16384;
    static final int STORED_KEY_BYTES = 64;

    private static final Logger log = LoggerFactory.getLogger(FilePlainServerCallbackHandler.class);
    private static final byte[] CLIENT_KEY = "Client Key".getBytes(StandardCharsets.US_ASCII);

    /** One user's line. */
    private record Entry(byte[] salt, int iterations, byte[] storedKey) {}

    /**
     * What the file looked like when it was read: its inode (fileKey), mtime and size. A rename onto
     * the path changes the fileKey even when mtime and size are equal. MISSING: there is no file.
     */
    private record Stamp(Object fileKey, long mtimeNanos, long size) {
        static final Stamp MISSING = new Stamp(null, -1, -1);
    }

    private record Snapshot(Stamp stamp, Map<String, Entry> users) {}

    private Path file;
    private final Object reloadLock = new Object();
    private volatile Snapshot snapshot; // null until the first load

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        if (!"PLAIN".equals(saslMechanism)) {
            throw new IllegalArgumentException(getClass().getName() + " only serves SASL/PLAIN, not " + saslMechanism);
        }
        String path = JaasContext.configEntryOption(jaasConfigEntries, CREDENTIALS_FILE_OPTION, PlainLoginModule.class.getName());
        if (path == null || path.isBlank()) {
            throw new ConfigException(getClass().getName() + " needs the JAAS option " + CREDENTIALS_FILE_OPTION
                    + "=\"/path/plain-users.properties\" in the PlainLoginModule entry of the listener's plain.sasl.jaas.config");
        }
        file = Path.of(path);
        Snapshot s = current();
        log.info("PLAIN credentials file {}: {} user(s)", file, s.users().size());
    }

    @Override
    public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
        String user = null;
        PlainAuthenticateCallback plain = null;
        for (Callback cb : callbacks) {
            if (cb instanceof NameCallback nc) {
                user = nc.getDefaultName();
            } else if (cb instanceof PlainAuthenticateCallback pc) {
                plain = pc;
            } else {
                throw new UnsupportedCallbackException(cb);
            }
        }
        if (plain != null) {
            plain.authenticated(user != null && authenticate(user, plain.password()));
        }
    }

    @Override
    public void close() {}

    private boolean authenticate(String user, char[] password) {
        Entry e = current().users().get(user);
        if (e == null) {
            log.debug("PLAIN authentication failed: no valid line for user {} in {}", printable(user), file);
            return false;
        }
        if (password == null || password.length == 0) {
            return false;
        }
        boolean ok = verify(e, password);
        if (!ok) {
            log.debug("PLAIN authentication failed: wrong password for user {}", printable(user));
        }
        return ok;
    }

    /** Recomputes the StoredKey of password with the entry's salt and iterations. */
    private static boolean verify(Entry e, char[] password) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] pw = new byte[encoded.remaining()];
        encoded.get(pw);
        Arrays.fill(encoded.array(), (byte) 0);
        byte[] salted = null;
        try {
            Mac mac = Mac.getInstance("HmacSHA512");
            // Hi(password, salt, i) of RFC 5802, i.e. PBKDF2-HMAC-SHA512 with a 64-byte output.
            mac.init(new SecretKeySpec(pw, "HmacSHA512"));
            mac.update(e.salt());
            mac.update(new byte[] {0, 0, 0, 1});
            byte[] u = mac.doFinal();
            salted = u.clone();
            for (int i = 1; i < e.iterations(); i++) {
                mac.update(u);
                mac.doFinal(u, 0);
                for (int j = 0; j < salted.length; j++) {
                    salted[j] ^= u[j];
                }
            }
            mac.init(new SecretKeySpec(salted, "HmacSHA512"));
            byte[] clientKey = mac.doFinal(CLIENT_KEY);
            byte[] storedKey = MessageDigest.getInstance("SHA-512").digest(clientKey);
            return MessageDigest.isEqual(storedKey, e.storedKey());
        } catch (GeneralSecurityException | IllegalArgumentException ex) {
            log.warn("PLAIN authentication failed: cannot compute the SCRAM-SHA-512 key: {}", ex.toString());
            return false;
        } finally {
            Arrays.fill(pw, (byte) 0);
            if (salted != null) {
                Arrays.fill(salted, (byte) 0);
            }
        }
    }

    /** The users of the file as it is now: a stat per call, a reload when the stat changed. */
    private Snapshot current() {
        Stamp now = stat();
        Snapshot s = snapshot;
        if (s != null && s.stamp().equals(now)) {
            return s;
        }
        synchronized (reloadLock) {
            s = snapshot;
            if (s == null || !s.stamp().equals(now)) {
                // The stamp is taken before reading: if the file is replaced while it is read, the next
                // stat differs from it and the file is read again.
                s = new Snapshot(now, load(now));
                snapshot = s;
            }
            return s;
        }
    }

    private Stamp stat() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
        } catch (IOException e) {
            return Stamp.MISSING;
        }
    }

    /** Reads the file; a missing or unreadable file has no users, a malformed line is skipped. */
    private Map<String, Entry> load(Stamp stamp) {
        if (stamp == Stamp.MISSING) {
            log.warn("PLAIN credentials file {} does not exist (or cannot be read): no user can log in with PLAIN", file);
            return Collections.emptyMap();
        }
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (NoSuchFileException e) {
            log.warn("PLAIN credentials file {} does not exist: no user can log in with PLAIN", file);
            return Collections.emptyMap();
        } catch (IOException | IllegalArgumentException e) {
            log.warn("PLAIN credentials file {} cannot be read: no user can log in with PLAIN: {}", file, e.toString());
            return Collections.emptyMap();
        }
        Map<String, Entry> users = new HashMap<>();
        for (String user : props.stringPropertyNames()) {
            Entry e = parse(props.getProperty(user));
            if (e == null) {
                log.warn("PLAIN credentials file {}: malformed line for user {} (want <saltBase64>:<iterations {}..{}>:<storedKeyBase64 of {} bytes>); that user cannot log in with PLAIN",
                        file, printable(user), MIN_ITERATIONS, MAX_ITERATIONS, STORED_KEY_BYTES);
                continue;
            }
            users.put(user, e);
        }
        log.debug("PLAIN credentials file {} loaded: {} user(s)", file, users.size());
        return Collections.unmodifiableMap(users);
    }

    private static Entry parse(String value) {
        String[] parts = value.trim().split(":", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            byte[] salt = Base64.getDecoder().decode(parts[0]);
            int iterations = Integer.parseInt(parts[1]);
            byte[] storedKey = Base64.getDecoder().decode(parts[2]);
            if (salt.length == 0 || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS || storedKey.length != STORED_KEY_BYTES) {
                return null;
            }
            return new Entry(salt, iterations, storedKey);
        } catch (IllegalArgumentException e) { // bad Base64 or number
            return null;
        }
    }

    /** A user name as it may appear in a log line: no control characters, at most 128 chars. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 128; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        if (s.length() > 128) {
            b.append("...");
        }
        return b.toString();
    }
}
