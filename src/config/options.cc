// The one table of Roadside's options. Add an option here and it is loadable from YAML, its
// environment variable and `--set`, validated, shown by `roadside config show` and listed
// in docs/configuration.md (regenerate with `roadside config docs`).
#include "config/config.h"

namespace roadside::config {

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"data_dir", Type::string, "/var/lib/roadside", "ROADSIDE_DATA_DIR", "--data-dir",
       "Directory for the embedded database, caches and message-log archives. Must be writable."},

      {"variant", Type::choice, "full", "ROADSIDE_VARIANT", "",
       "slim runs the proxies, signer, OCSP and global configuration only; full adds the message log (every request "
       "and response logged, time-stamped and archived: docs/message-log.md) and, as it arrives, monitoring. The "
       "container images set it.",
       false, 0, 0, "slim|full"},
      {"profile", Type::choice, "none", "ROADSIDE_PROFILE", "",
       "Country profile: the defaults of X-Road's variant package for Estonia (ee), Finland (fi), Iceland (is) or the "
       "Faroe Islands (fo), xroad-securityserver-XX; none: X-Road's vanilla defaults. It changes only defaults: an "
       "option set in the file, the environment or a flag wins. What each sets is listed under Country profiles below.",
       false, 0, 0, "none|ee|fi|is|fo"},

      {"node.role", Type::choice, "standalone", "ROADSIDE_NODE_ROLE", "",
       "standalone: one server. primary or secondary: a node of a cluster on one PostgreSQL database; configuration "
       "is changed on the primary only, and secondaries refuse changes and follow the database (docs/cluster.md).",
       false, 0, 0, "standalone|primary|secondary"},

      {"log.level", Type::choice, "INFO", "XROAD_LOG_LEVEL", "--log-level", "Log level of the JSON log on stdout.",
       false, 0, 0, "TRACE|DEBUG|INFO|WARN|ERROR|ALL|OFF"},
      {"log.audit", Type::string, "stdout", "ROADSIDE_AUDIT_LOG", "",
       "Where audit records go: \"stdout\" or a file path (appended)."},
      {"log.access", Type::boolean, "true", "ROADSIDE_ACCESS_LOG", "",
       "Write one JSON line per message (\"log\":\"access\": its id, client, service, outcome, sizes and "
       "durations; never a body or the user id) to the log (docs/monitoring.md)."},

      {"listen.address", Type::string, "127.0.0.1", "ROADSIDE_LISTEN_ADDRESS", "",
       "Address the client proxy (8080, 8443) binds to: loopback, for an information system beside the server (the "
       "sidecar); 0.0.0.0 when information systems on other hosts or Pods call it."},
      {"health.address", Type::string, "127.0.0.1", "ROADSIDE_HEALTH_ADDRESS", "",
       "Address of /livez, /readyz, /metrics and X-Road's health check. Loopback by default: they describe the server "
       "to whoever reaches them. Set 0.0.0.0 where probes or a scraper come over the network (the Kubernetes manifests "
       "do)."},
      {"health.port", Type::integer, "5588", "ROADSIDE_HEALTH_PORT", "--health-port",
       "Port of /livez, /readyz and /metrics; any other path, with any method, is X-Road's health check (X-Road's "
       "health-check-port: 200 healthy, 500 with the failure, 503 in maintenance mode). 0 picks a free port (logged at "
       "start).",
       false, 0, 65535},
      {"health.ok_cache_s", Type::integer, "2", "ROADSIDE_HEALTH_OK_CACHE_S", "",
       "Seconds X-Road's health check keeps a passing result before it checks again (X-Road: 2; 0 checks every "
       "request).",
       false, 0, 3600},
      {"health.failure_cache_s", Type::integer, "30", "ROADSIDE_HEALTH_FAILURE_CACHE_S", "",
       "Seconds X-Road's health check keeps a failure (its 500) before it checks again (X-Road: 30; 0 checks every "
       "request).",
       false, 0, 3600},

      {"globalconf.anchor", Type::string, "", "ROADSIDE_GLOBALCONF_ANCHOR", "",
       "Configuration anchor file of the instance (as exported by its Central Server); empty: no global configuration "
       "is downloaded."},
      {"globalconf.refresh_interval_s", Type::integer, "60", "ROADSIDE_GLOBALCONF_REFRESH_S", "",
       "Seconds between global configuration downloads (X-Road's default is 60).", false, 5, 86400},

      {"database.kind", Type::choice, "auto", "ROADSIDE_DATABASE", "",
       "Database: sqlite (embedded), postgresql, or auto (postgresql when database.host is set).", false, 0, 0,
       "auto|sqlite|postgresql"},
      {"database.sqlite_path", Type::string, "", "ROADSIDE_SQLITE_PATH", "",
       "SQLite database file; empty means <data_dir>/roadside.db."},
      {"database.host", Type::string, "", "XROAD_DB_HOST", "",
       "PostgreSQL host name, address, or unix socket directory (starting with /)."},
      {"database.port", Type::integer, "5432", "XROAD_DB_PORT", "", "PostgreSQL port.", false, 1, 65535},
      {"database.user", Type::string, "roadside", "XROAD_DB_USER", "", "PostgreSQL user."},
      {"database.password", Type::string, "", "XROAD_DB_PWD", "", "PostgreSQL password.", true},
      {"database.name", Type::string, "roadside", "XROAD_DATABASE_NAME", "", "PostgreSQL database name."},
      {"database.sslmode", Type::choice, "auto", "ROADSIDE_DB_SSLMODE", "",
       "libpq sslmode for PostgreSQL connections. auto: verify-full when database.sslrootcert is set, prefer "
       "otherwise. "
       "Only verify-ca and verify-full authenticate the server; with prefer or require anyone on the network path can "
       "read and change the traffic, and with prefer also turn TLS off (docs/database.md).",
       false, 0, 0, "auto|disable|allow|prefer|require|verify-ca|verify-full"},
      {"database.sslrootcert", Type::string, "", "ROADSIDE_DB_SSLROOTCERT", "",
       "PEM file of the CA certificate(s) the PostgreSQL server's certificate must chain to (libpq sslrootcert). "
       "Setting it makes the default sslmode verify-full."},
      {"database.connect_timeout_s", Type::integer, "10", "ROADSIDE_DB_CONNECT_TIMEOUT", "",
       "Seconds to wait for a database connection.", false, 1, 300},
      {"database.statement_timeout_ms", Type::integer, "10000", "ROADSIDE_DB_STATEMENT_TIMEOUT_MS", "",
       "Longest a PostgreSQL statement may run, and about how long a database host that stops answering goes unnoticed "
       "(TCP keepalives and user timeout); 0: no statement limit.",
       false, 0, 3600000},

      {"token.pin", Type::string, "", "XROAD_TOKEN_PIN", "", "PIN of the software token (autologin at start).", true},
      {"token.import_dir", Type::string, "", "ROADSIDE_TOKEN_IMPORT_DIR", "",
       "A software-token folder (keyconf.xml and <keyId>.p12, as X-Road's signer keeps it) whose keys are copied into "
       "the database at start; keys already there are kept."},
      {"token.enforce_pin_policy", Type::boolean, "false", "ROADSIDE_TOKEN_PIN_POLICY", "",
       "X-Road's [signer] enforce-token-pin-policy: a new software-token PIN must be at least 10 ASCII characters from "
       "at least three classes (lower case, upper case, digits, others). Read when Roadside initializes tokens or "
       "changes PINs (later components; nothing reads it yet)."},
      {"signer.key_length", Type::choice, "2048", "ROADSIDE_SIGNER_KEY_LENGTH", "",
       "X-Road's [signer] key-length: bits of the RSA authentication and signing keys the server generates. Read by "
       "key generation (a later component; today keys are imported, token.import_dir).",
       false, 0, 0, "2048|3072|4096"},
      {"signer.devices", Type::string, "", "ROADSIDE_SIGNER_DEVICES", "",
       "X-Road's devices.ini ([signer] device-configuration-file): the PKCS#11 devices (HSMs, smart cards) whose "
       "tokens hold keys (docs/hsm.md); empty: none. A hardware token logs in at start with XROAD_TOKEN_<token "
       "id>_PIN."},
      {"signer.module_manager_update_interval_s", Type::integer, "60", "ROADSIDE_SIGNER_MODULE_UPDATE_S", "",
       "X-Road's [signer] module-manager-update-interval: seconds between two listings of the devices' tokens (a "
       "token that went away is not available; one that came back logs in again).",
       false, 1, 3600},

      {"server_conf.file", Type::string, "", "ROADSIDE_SERVER_CONF", "--server-conf",
       "Declarative server configuration (owner, clients, services, access rights; docs/server-configuration.md) "
       "applied to the database at start. Re-applying an unchanged file changes nothing."},
      {"server_conf.poll_interval_s", Type::integer, "5", "ROADSIDE_SERVER_CONF_POLL_S", "",
       "Seconds between checks for a newer server configuration in the database (applied by roadside apply or another "
       "node).",
       false, 1, 3600},

      {"proxy.client_port", Type::integer, "8080", "ROADSIDE_CLIENT_PORT", "",
       "Port of the client proxy for information systems (HTTP); 0 picks a free port.", false, 0, 65535},
      {"proxy.client_tls_port", Type::integer, "8443", "ROADSIDE_CLIENT_TLS_PORT", "",
       "Port of the client proxy over HTTPS (the server's internal TLS certificate; information systems may present "
       "theirs for SSLAUTH); 0 picks a free port.",
       false, 0, 65535},
      {"proxy.server_address", Type::string, "0.0.0.0", "ROADSIDE_SERVER_ADDRESS", "",
       "Address the server proxy (5500) and the OCSP responder (5577), which other Security Servers call, bind to; "
       "empty means listen.address."},
      {"proxy.server_port", Type::integer, "5500", "ROADSIDE_SERVER_PORT", "",
       "Port of the server proxy, which other Security Servers call over mutual TLS.", false, 0, 65535},
      {"proxy.ssl_enabled", Type::boolean, "true", "ROADSIDE_PROXY_SSL_ENABLED", "",
       "Mutual TLS between Security Servers (X-Road's proxy.ssl-enabled). false: the server proxy listens on plain "
       "HTTP and "
       "the client proxy calls peers over it; no peer is authenticated, only messages' signatures are checked. For "
       "test "
       "set-ups only (X-Road's proxy test suite runs so); never in production.",
       false},
      {"proxy.peer_port", Type::integer, "5500", "ROADSIDE_PEER_PORT", "",
       "Port of other Security Servers' server proxies (X-Road uses 5500 everywhere).", false, 1, 65535},
      {"proxy.ocsp_responder_port", Type::integer, "5577", "ROADSIDE_OCSP_RESPONDER_PORT", "",
       "Port of the OCSP responder that serves this server's OCSP responses to peers (on proxy.server_address); 0 "
       "picks a free port.",
       false, 0, 65535},
      {"proxy.peer_ocsp_port", Type::integer, "5577", "ROADSIDE_PEER_OCSP_PORT", "",
       "Port of other Security Servers' OCSP responders, where the client proxy gets the OCSP status of a provider's "
       "authentication certificate (X-Road uses 5577 everywhere).",
       false, 1, 65535},
      {"proxy.xroad_tls_protocols", Type::string, "TLSv1.2", "ROADSIDE_XROAD_TLS_PROTOCOLS", "",
       "TLS protocols between Security Servers (the server proxy's port and the client proxy's connections to peers), "
       "comma-separated: TLSv1.2, TLSv1.3. X-Road fixes TLSv1.2 and has no parameter for it; TLSv1.3 reaches only "
       "Roadside peers that allow it too, and needs TLS 1.3 suites in proxy.xroad_tls_ciphers."},
      {"proxy.xroad_tls_ciphers", Type::string,
       "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_CBC_"
       "SHA384",
       "ROADSIDE_XROAD_TLS_CIPHERS", "",
       "Cipher suites between Security Servers, comma-separated IANA names (or OpenSSL's) in order of preference; "
       "X-Road's proxy.xroad-tls-ciphers, with its default. An unknown suite or one OpenSSL refuses stops the start."},
      {"proxy.client_tls_protocols", Type::string, "TLSv1.2", "ROADSIDE_CLIENT_TLS_PROTOCOLS", "",
       "TLS protocols towards information systems (the client proxy's HTTPS port) and services over HTTPS, "
       "comma-separated: TLSv1.2, TLSv1.3 (X-Road's proxy.client-tls-protocols). TLSv1.3 needs TLS 1.3 suites in "
       "proxy.client_tls_ciphers."},
      {"proxy.client_tls_ciphers", Type::string,
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_"
       "SHA384,"
       "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,"
       "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
       "ROADSIDE_CLIENT_TLS_CIPHERS", "",
       "Cipher suites towards information systems (the client proxy's HTTPS port) and services over HTTPS, "
       "comma-separated IANA names (or OpenSSL's) in order of preference; X-Road's proxy.client-tls-ciphers, with "
       "its default. Its suites are all RSA ones: the internal TLS key is RSA, and so must an HTTPS service's be."},
      {"proxy.soap_memory_bytes", Type::integer, "536870912", "ROADSIDE_SOAP_MEMORY_BYTES", "",
       "Memory all SOAP requests being read or processed may hold together (what they hold in memory before their "
       "client is known: a body up to 1 MiB, or the envelope of a larger one, whose attachments are spooled); each "
       "counts four times its length (its copies and DOM); beyond it a request is refused "
       "(internal_error, \"server busy\").",
       false, 1048576, 1099511627776},
      {"proxy.spool_quota_bytes", Type::integer, "8589934592", "ROADSIDE_SPOOL_QUOTA_BYTES", "",
       "Bytes all spool files (REST bodies and SOAP messages over 1 MiB in <data_dir>/spool) may hold together; a body "
       "past it is refused (io_error).",
       false, 1048576, 1099511627776},
      {"proxy.spool_min_free_bytes", Type::integer, "1073741824", "ROADSIDE_SPOOL_MIN_FREE_BYTES", "",
       "Free space a spool file never eats into on its file system (the database may share it); a body that would is "
       "refused (io_error).",
       false, 0, 1099511627776},
      {"proxy.max_message_bytes", Type::integer, "2147483648", "ROADSIDE_MAX_MESSAGE_BYTES", "",
       "Largest message the proxies accept. A REST body or a SOAP message over 1 MiB streams through an unnamed file "
       "in <data_dir>/spool while it is hashed and passed on; only a SOAP message's envelope is parsed in memory, "
       "limited to 64 MiB.",
       false, 1024, 1099511627776},

      {"messagelog.body_logging", Type::boolean, "true", "ROADSIDE_MESSAGELOG_BODY_LOGGING", "",
       "X-Road's [message-log] message-body-logging (formerly soap-body-logging): false logs messages without their "
       "bodies (a SOAP body emptied and only X-Road's header fields kept; a REST body, service path, query and "
       "non-X-Road headers left out); the *_body_logging_*_subsystems options turn it per subsystem."},
      {"messagelog.timestamp_failure_period_s", Type::integer, "14400", "ROADSIDE_TIMESTAMP_FAILURE_PERIOD_S", "",
       "X-Road's [message-log] acceptable-timestamp-failure-period: seconds time-stamping may keep failing before the "
       "message log, and so the server, stops taking messages (timestamper_failed); 0 disables the check. It should "
       "not be shorter than the time-stamping interval.",
       false, 0, 31536000},
      {"messagelog.max_loggable_body_bytes", Type::integer, "10485760", "ROADSIDE_MAX_LOGGABLE_BODY_BYTES", "",
       "X-Road's [message-log] max-loggable-message-body-size: the largest body (a REST body, each SOAP attachment) "
       "the message log keeps; a larger one is truncated or refused (messagelog.truncated_body_allowed). 0 logs no "
       "body at all.",
       false, 0, 1099511627776},
      {"messagelog.truncated_body_allowed", Type::boolean, "false", "ROADSIDE_MESSAGELOG_TRUNCATED_BODY_ALLOWED", "",
       "X-Road's [message-log] truncated-body-allowed: a body over messagelog.max_loggable_body_bytes is logged "
       "truncated to it (true) or the message is refused with logging_failed (false)."},
      {"messagelog.enabled_body_logging_local_producer_subsystems", Type::string, "",
       "ROADSIDE_MESSAGELOG_ENABLED_BODY_LOGGING_LOCAL_PRODUCER_SUBSYSTEMS", "",
       "X-Road's [message-log] enabled-body-logging-local-producer-subsystems: while messagelog.body_logging is "
       "false, the subsystems hosted here whose services' messages are logged with their bodies all the same; "
       "comma-separated ids INSTANCE/CLASS/MEMBER/SUBSYSTEM. Set while body logging is on, it stops the start."},
      {"messagelog.enabled_body_logging_remote_producer_subsystems", Type::string, "",
       "ROADSIDE_MESSAGELOG_ENABLED_BODY_LOGGING_REMOTE_PRODUCER_SUBSYSTEMS", "",
       "X-Road's [message-log] enabled-body-logging-remote-producer-subsystems: the same for other servers' "
       "subsystems whose services our clients call."},
      {"messagelog.disabled_body_logging_local_producer_subsystems", Type::string, "",
       "ROADSIDE_MESSAGELOG_DISABLED_BODY_LOGGING_LOCAL_PRODUCER_SUBSYSTEMS", "",
       "X-Road's [message-log] disabled-body-logging-local-producer-subsystems: while messagelog.body_logging is "
       "true, the subsystems hosted here whose services' messages are logged without their bodies (metadata only). "
       "Set while body logging is off, it stops the start."},
      {"messagelog.disabled_body_logging_remote_producer_subsystems", Type::string, "",
       "ROADSIDE_MESSAGELOG_DISABLED_BODY_LOGGING_REMOTE_PRODUCER_SUBSYSTEMS", "",
       "X-Road's [message-log] disabled-body-logging-remote-producer-subsystems: the same for other servers' "
       "subsystems whose services our clients call."},
      // Time-stamping (server/timestamping_service.h, docs/message-log.md).
      {"messagelog.timestamp_records_limit", Type::integer, "10000", "ROADSIDE_TIMESTAMP_RECORDS_LIMIT", "",
       "X-Road's [message-log] timestamp-records-limit: the most records one batch time-stamp covers (a batch over "
       "70 % of it is warned about in the log; a full batch is followed by another at once).",
       false, 1, 100000},
      {"messagelog.timestamping_interval_s", Type::integer, "0", "ROADSIDE_TIMESTAMPING_INTERVAL_S", "",
       "Seconds between time-stamping rounds. 0: global configuration's timeStampingIntervalSeconds, held to "
       "[60, 86400] as X-Road does; any other value is used as given (tests, or an operator who wants a shorter one).",
       false, 0, 86400},
      {"messagelog.timestamp_retry_delay_s", Type::integer, "60", "ROADSIDE_TIMESTAMP_RETRY_DELAY_S", "",
       "X-Road's [message-log] timestamp-retry-delay: seconds between tries while time-stamping fails (one record "
       "at a time, as X-Road retries); the interval when 0 or longer than it.",
       false, 0, 86400},
      {"messagelog.timestamp_immediately", Type::boolean, "false", "ROADSIDE_TIMESTAMP_IMMEDIATELY", "",
       "X-Road's [message-log] timestamp-immediately: every record is time-stamped (alone) as it is logged, before "
       "the message is answered; a time-stamping failure fails the message."},
      {"messagelog.timestamper_connect_timeout_ms", Type::integer, "20000", "ROADSIDE_TIMESTAMPER_CONNECT_TIMEOUT_MS",
       "",
       "X-Road's [message-log] timestamper-client-connect-timeout: milliseconds to connect to a time-stamping service "
       "(X-Road's 0, no limit, is not offered: a service that does not answer must not hold up the others).",
       false, 1, 3600000},
      {"messagelog.timestamper_read_timeout_ms", Type::integer, "60000", "ROADSIDE_TIMESTAMPER_READ_TIMEOUT_MS", "",
       "X-Road's [message-log] timestamper-client-read-timeout: milliseconds for a time-stamping service's whole "
       "answer.",
       false, 1, 3600000},
      {"messagelog.encryption_enabled", Type::boolean, "false", "ROADSIDE_MESSAGELOG_ENCRYPTION", "",
       "X-Road's [message-log] messagelog-encryption-enabled: message bodies are stored sealed (AES-256-GCM) in the "
       "database, under the first key of messagelog.encryption_keys_file."},
      {"messagelog.encryption_keys_file", Type::string, "", "ROADSIDE_MESSAGELOG_KEYS_FILE", "",
       "Key file of the message log's body encryption (X-Road's messagelog-keystore): lines \"<key id> <base64 of 32 "
       "bytes>\", the first seals, all open; readable by the server only (docs/message-log.md)."},

      {"backup.dir", Type::string, "", "ROADSIDE_BACKUP_DIR", "",
       "Folder of the server's backups (roadside backup, the daily backup, the admin API's /backups); empty: "
       "<data_dir>/backups (docs/backups.md)."},
      {"backup.cron", Type::string, "0 15 3 * * ?", "ROADSIDE_BACKUP_CRON", "",
       "X-Road's [configuration-client] proxy-configuration-backup-cron: when the automatic backup "
       "(ss-automatic-backup-*) is made, a Quartz cron expression in UTC; empty: no automatic backups. Checked at "
       "start."},
      {"backup.keep_days", Type::integer, "30", "ROADSIDE_BACKUP_KEEP_DAYS", "",
       "Automatic backups older than this many days are deleted after each automatic backup (X-Road's cron job keeps "
       "30); backups made on request are kept until deleted.",
       false, 1, 3650},
      {"backup.encrypt_to", Type::string, "", "ROADSIDE_BACKUP_ENCRYPT_TO", "",
       "X-Road's [proxy] backup-encryption-keyids: gpg key ids (comma or space separated) the backups are encrypted "
       "for, their public keys in backup.gpg_home; empty: not encrypted (still signed)."},
      {"backup.gpg_home", Type::string, "", "ROADSIDE_BACKUP_GPG_HOME", "",
       "The gpg keyring with backup.encrypt_to's public keys, and (to verify or restore an encrypted backup) a secret "
       "key that opens it."},
      {"backup.gpg", Type::string, "/usr/bin/gpg", "ROADSIDE_BACKUP_GPG", "", "The gpg program for encrypted backups."},

      {"messagelog.archive_interval", Type::string, "0 0 0/6 1/1 * ? *", "ROADSIDE_MESSAGELOG_ARCHIVE_INTERVAL", "",
       "X-Road's [message-log] archive-interval: when time-stamped records are archived, a Quartz cron expression "
       "(seconds minutes hours day-of-month month day-of-week [year]) in UTC; the default is every 6 hours. Checked at "
       "start."},
      {"messagelog.archive_max_filesize", Type::integer, "33554432", "ROADSIDE_MESSAGELOG_ARCHIVE_MAX_FILESIZE", "",
       "X-Road's archive-max-filesize: an archive is closed once its containers pass this many bytes (after the one "
       "that passed it), and the next one begins.",
       false, 1, 1099511627776},
      {"messagelog.archive_path", Type::string, "", "ROADSIDE_MESSAGELOG_ARCHIVE_PATH", "",
       "X-Road's archive-path: the directory archives are written to; empty: <data_dir>/messagelog/archive."},
      {"messagelog.archive_grouping", Type::choice, "none", "ROADSIDE_MESSAGELOG_ARCHIVE_GROUPING", "",
       "X-Road's archive-grouping: none (one chain of archives), member or subsystem (a chain, and files, of each "
       "member or subsystem whose records they hold; the record owner is the client at the client proxy, the service "
       "provider at the server proxy).",
       false, 0, 0, "none|member|subsystem"},
      {"messagelog.archive_transaction_batch", Type::integer, "10000", "ROADSIDE_MESSAGELOG_ARCHIVE_TRANSACTION_BATCH",
       "",
       "X-Road's archive-transaction-batch: records an archive round takes at a time; each batch ends its archives.",
       false, 1, 1000000},
      {"messagelog.archive_transfer_command", Type::string, "", "ROADSIDE_MESSAGELOG_ARCHIVE_TRANSFER_COMMAND", "",
       "X-Road's archive-transfer-command: run with /bin/bash -c after each archive is written, in the archive "
       "directory, with ROADSIDE_ARCHIVE_FILE naming the archive; a failure is logged and counted, the archive stays. "
       "Empty: none."},
      {"messagelog.archive_encryption_enabled", Type::boolean, "false",
       "ROADSIDE_MESSAGELOG_ARCHIVE_ENCRYPTION_ENABLED", "",
       "X-Road's archive-encryption-enabled: archives are signed and encrypted with gpg (/usr/bin/gpg, Debian's gnupg) "
       "and named .zip.gpg."},
      {"messagelog.archive_gpg_home", Type::string, "", "ROADSIDE_MESSAGELOG_ARCHIVE_GPG_HOME", "",
       "X-Road's archive-gpg-home-directory: the GnuPG home with the key that signs archives (and encrypts them when "
       "no other key is named); empty: <data_dir>/messagelog/gpghome."},
      {"messagelog.archive_encryption_keys_config", Type::string, "",
       "ROADSIDE_MESSAGELOG_ARCHIVE_ENCRYPTION_KEYS_CONFIG", "",
       "X-Road's archive-encryption-keys-config: a file of \"<member identifier> = <key id>\" lines (X-Road's format) "
       "naming the keys a member's archives are encrypted to when archives are grouped; read for each archive, so an "
       "edit needs no restart. Empty: none."},
      {"messagelog.archive_default_encryption_key", Type::string, "",
       "ROADSIDE_MESSAGELOG_ARCHIVE_DEFAULT_ENCRYPTION_KEY", "",
       "X-Road's archive-default-encryption-key: the key archives are encrypted to when no member key applies; empty: "
       "the GnuPG home's own key."},
      {"messagelog.clean_interval", Type::string, "0 0 0/12 1/1 * ? *", "ROADSIDE_MESSAGELOG_CLEAN_INTERVAL", "",
       "X-Road's clean-interval: when archived records past keep_records_for_days are deleted from the database, a "
       "Quartz cron expression in UTC; the default is every 12 hours. Checked at start."},
      {"messagelog.clean_transaction_batch", Type::integer, "10000", "ROADSIDE_MESSAGELOG_CLEAN_TRANSACTION_BATCH", "",
       "X-Road's clean-transaction-batch: records deleted in one transaction; cleanup goes on until none is left.",
       false, 1, 1000000},
      {"messagelog.keep_records_for_days", Type::integer, "30", "ROADSIDE_MESSAGELOG_KEEP_RECORDS_FOR_DAYS", "",
       "X-Road's keep-records-for: days an archived record stays in the database (and so in /asic) before cleanup "
       "deletes it; a record not archived yet is never deleted.",
       false, 0, 36500},

      // Transfer of archive files to S3-compatible object storage (messagelog/s3_transfer.h).
      {"messagelog.archive_s3_endpoint", Type::string, "", "ROADSIDE_ARCHIVE_S3_ENDPOINT", "",
       "URL of an S3-compatible object storage (scheme://host[:port], http or https: "
       "https://s3.eu-north-1.amazonaws.com) each new message-log archive file is uploaded to, with one PUT signed "
       "with AWS Signature Version 4; empty: no upload. An upload is verified (its ETag is the file's MD5, or a HEAD "
       "finds it at its size) before "
       "messagelog.archive_s3_delete_local may remove the file (docs/message-log.md, Transfer to S3)."},
      {"messagelog.archive_s3_region", Type::string, "us-east-1", "ROADSIDE_ARCHIVE_S3_REGION", "",
       "Region the requests are signed for (us-east-1 for most S3-compatible servers)."},
      {"messagelog.archive_s3_bucket", Type::string, "", "ROADSIDE_ARCHIVE_S3_BUCKET", "",
       "Bucket the archive files go to; it must exist."},
      {"messagelog.archive_s3_prefix", Type::string, "", "ROADSIDE_ARCHIVE_S3_PREFIX", "",
       "Put before each archive file's name to make its object key (\"roadside/ss1/\": keys like "
       "roadside/ss1/mlog-....zip)."},
      {"messagelog.archive_s3_access_key_id", Type::string, "", "ROADSIDE_ARCHIVE_S3_ACCESS_KEY_ID", "",
       "Access key id of the account that uploads."},
      {"messagelog.archive_s3_secret_access_key", Type::string, "", "ROADSIDE_ARCHIVE_S3_SECRET_ACCESS_KEY", "",
       "Secret access key of that account (best given in the environment).", true},
      {"messagelog.archive_s3_ca_file", Type::string, "", "ROADSIDE_ARCHIVE_S3_CA_FILE", "",
       "PEM file of the CA certificate(s) an https endpoint's certificate must chain to; empty: the system's CAs. The "
       "server's certificate and host name are always verified."},
      {"messagelog.archive_s3_path_style", Type::boolean, "true", "ROADSIDE_ARCHIVE_S3_PATH_STYLE", "",
       "true: path-style URLs (endpoint/bucket/key), which every S3-compatible server takes; false: virtual-host style "
       "(bucket.endpoint-host/key), which AWS prefers and which needs the bucket's host name to resolve."},
      {"messagelog.archive_s3_delete_local", Type::boolean, "false", "ROADSIDE_ARCHIVE_S3_DELETE_LOCAL", "",
       "Remove an archive file from the server once its upload is verified; false keeps it (cleanup is then the "
       "operator's)."},

      // Tracing (tracing/, docs/monitoring.md): W3C traceparent is always carried.
      {"tracing.otlp_endpoint", Type::string, "", "ROADSIDE_OTLP_ENDPOINT", "",
       "Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (e.g. http://otel-collector:4318): each server's "
       "span of every sampled message is POSTed to <url>/v1/traces as JSON. Empty: no spans are exported."},
      {"tracing.service_name", Type::string, "roadside", "ROADSIDE_TRACE_SERVICE_NAME", "",
       "The service.name resource attribute of the exported spans."},

      // Environmental monitoring (proxy/env_monitoring.h, docs/monitoring.md): X-Road's
      // env-monitor parameters.
      {"envmon.enabled", Type::boolean, "true", "ROADSIDE_ENVMON_ENABLED", "",
       "Answer X-Road's getSecurityServerMetrics (the host, its processes and packages, the server's certificates) "
       "to the server's owner and the instance's monitoring client (docs/monitoring.md)."},
      {"envmon.limit_remote_data_set", Type::boolean, "false", "ROADSIDE_ENVMON_LIMIT_REMOTE_DATA_SET", "",
       "X-Road's env-monitor.limit-remote-data-set: a monitoring client that is not the owner gets only the operating "
       "system, the certificates and the version."},

      // Operational monitoring (server/op_monitoring_service.h, docs/monitoring.md): X-Road's
      // op-monitor parameters.
      {"opmon.enabled", Type::boolean, "true", "ROADSIDE_OPMON_ENABLED", "",
       "Keep X-Road's operational data of every message and its per-service health data, in both variants "
       "(docs/monitoring.md)."},
      {"opmon.buffer_size", Type::integer, "20000", "ROADSIDE_OPMON_BUFFER_SIZE", "",
       "X-Road's op-monitor-buffer.size: records waiting to be written; one that finds the buffer full is dropped "
       "(and counted), never waited for. 0: no operational data is kept.",
       false, 0, 10000000},
      {"opmon.keep_records_for_days", Type::integer, "7", "ROADSIDE_OPMON_KEEP_RECORDS_FOR_DAYS", "",
       "X-Road's op-monitor.keep-records-for-days: operational data older than this is deleted (checked hourly).",
       false, 1, 3650},
      {"opmon.health_statistics_period_seconds", Type::integer, "600", "ROADSIDE_OPMON_HEALTH_PERIOD_S", "",
       "X-Road's op-monitor.health-statistics-period-seconds: the period getSecurityServerHealthData's statistics "
       "cover.",
       false, 1, 86400},
      {"opmon.max_records_in_payload", Type::integer, "10000", "ROADSIDE_OPMON_MAX_RECORDS_IN_PAYLOAD", "",
       "X-Road's op-monitor.max-records-in-payload: records in one getSecurityServerOperationalData answer (the "
       "records of its last second all come along).",
       false, 1, 1000000},
      {"opmon.records_available_timestamp_offset_seconds", Type::integer, "60", "ROADSIDE_OPMON_AVAILABLE_OFFSET_S", "",
       "X-Road's op-monitor.records-available-timestamp-offset-seconds: only records older than now minus this are "
       "answered (a record is stamped when it is written).",
       false, 0, 3600},

      {"ocsp.check_interval_s", Type::integer, "60", "ROADSIDE_OCSP_CHECK_S", "",
       "Seconds between checks of this server's own OCSP responses; a response is fetched again when half its "
       "freshness has passed.",
       false, 5, 3600},
      {"admin.user", Type::string, "", "XROAD_ADMIN_USER", "", "Initial administrator created on first run."},
      {"admin.password", Type::string, "", "XROAD_ADMIN_PASSWORD", "", "Password of the initial administrator.", true},
      {"admin.password_hash", Type::string, "", "XROAD_ADMIN_PWD_HASH", "",
       "An administrator's password as a hash instead (admin.user names them): Roadside's pbkdf2-sha256$... form, or a "
       "crypt(3) hash as /etc/shadow keeps it ($6$, $5$, $y$; e.g. `openssl passwd -6`). Checked for HTTP Basic "
       "authentication of the admin API's key management; never stored.",
       true},
      {"admin.address", Type::string, "127.0.0.1", "ROADSIDE_ADMIN_ADDRESS", "",
       "Address of the admin API (HTTPS, X-Road's Security Server admin API under /api/v1). Loopback by default; "
       "0.0.0.0 where administrators or scripts reach it over the network (the whitelists below still apply)."},
      {"admin.port", Type::integer, "4000", "ROADSIDE_ADMIN_PORT", "",
       "Port of the admin API (X-Road's 4000); 0 picks a free port (logged at start).", false, 0, 65535},
      {"admin.key_management_whitelist", Type::string, "127.0.0.0/8, ::1", "ROADSIDE_ADMIN_KEY_MANAGEMENT_WHITELIST",
       "",
       "Addresses and CIDR ranges that may manage API keys (/api/v1/api-keys) with HTTP Basic authentication "
       "(X-Road's proxy-ui-api.key-management-api-whitelist)."},
      {"admin.regular_whitelist", Type::string, "0.0.0.0/0, ::/0", "ROADSIDE_ADMIN_REGULAR_WHITELIST", "",
       "Addresses and CIDR ranges that may call the rest of the admin API with an API key (X-Road's "
       "proxy-ui-api.regular-api-whitelist)."},
      {"admin.rate_limit_requests_per_second", Type::integer, "20", "ROADSIDE_ADMIN_RATE_PER_SECOND", "",
       "Requests a second from one address before 429 (X-Road's rate-limit-requests-per-second).", false, 1, 1000000},
      {"admin.rate_limit_requests_per_minute", Type::integer, "600", "ROADSIDE_ADMIN_RATE_PER_MINUTE", "",
       "Requests a minute from one address before 429 (X-Road's rate-limit-requests-per-minute).", false, 1, 100000000},
      {"admin.request_size_limit_regular", Type::integer, "51200", "ROADSIDE_ADMIN_REQUEST_SIZE_LIMIT", "",
       "Largest request body in bytes, but for file uploads; larger gets 413 (X-Road's request-size-limit-regular, "
       "50KB).",
       false, 1024, 104857600},
      {"admin.request_size_limit_binary_upload", Type::integer, "10485760", "ROADSIDE_ADMIN_UPLOAD_SIZE_LIMIT", "",
       "Largest file upload in bytes (certificates, anchors); larger gets 413 (X-Road's "
       "request-size-limit-binary-upload, 10MB).",
       false, 1024, 1073741824},
      {"admin.audit_log_retention_days", Type::integer, "180", "ROADSIDE_AUDIT_LOG_RETENTION_DAYS", "",
       "Days the audit trail the console shows keeps a record in the database (the audit stream itself, "
       "log.audit, is the operator's to keep); 0: kept for ever.",
       false, 0, 36500},
      {"admin.audit_log_max_records", Type::integer, "1000000", "ROADSIDE_AUDIT_LOG_MAX_RECORDS", "",
       "Most audit records the database keeps for the console; the oldest beyond go first.", false, 1000, 100000000},

      {"http.max_header_bytes", Type::integer, "16384", "ROADSIDE_HTTP_MAX_HEADER_BYTES", "",
       "Largest request head (request line and headers) accepted; larger gets 431.", false, 1024, 1048576},
      {"http.max_body_bytes", Type::integer, "10485760", "ROADSIDE_HTTP_MAX_BODY_BYTES", "",
       "Largest request body accepted by the health and admin listeners; larger gets 413.", false, 0, 1099511627776},
      {"http.header_timeout_ms", Type::integer, "10000", "ROADSIDE_HTTP_HEADER_TIMEOUT_MS", "",
       "Time a client has to send a whole request head; slower gets 408.", false, 100, 600000},
      {"http.body_timeout_ms", Type::integer, "30000", "ROADSIDE_HTTP_BODY_TIMEOUT_MS", "",
       "Longest pause while reading a request body; longer gets 408.", false, 100, 3600000},
      {"http.idle_timeout_ms", Type::integer, "60000", "ROADSIDE_HTTP_IDLE_TIMEOUT_MS", "",
       "Keep-alive connections idle this long are closed.", false, 100, 3600000},
      {"http.min_body_rate", Type::integer, "1024", "ROADSIDE_HTTP_MIN_BODY_RATE", "",
       "Slowest average rate (bytes/s) a request body may arrive at, after its first 10 s; slower gets 408. 0: no "
       "minimum.",
       false, 0, 1073741824},
      {"http.max_connections", Type::integer, "1024", "ROADSIDE_HTTP_MAX_CONNECTIONS", "",
       "Open connections each listener keeps; more are accepted and closed at once (and counted).", false, 1, 1000000},

      {"shutdown.drain_timeout_ms", Type::integer, "5000", "ROADSIDE_DRAIN_TIMEOUT_MS", "",
       "On SIGTERM, time given to requests in flight, on all listeners together, before connections are cut.", false, 0,
       600000},
  };
  return table;
}

}  // namespace roadside::config
