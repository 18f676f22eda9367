package dms

// Named DMS codes used by the code. Each must be a row of error-codes.tsv or extraCodes; codes_test.go
// checks every one of them, so a typo fails the build's tests rather than a client.
const (
	CodeProjectIDInvalid     = "DMS.00400002"
	CodeBodyEmpty            = "DMS.00400004"
	CodeBodyNotJSON          = "DMS.00400005"
	CodeUnsupportedType      = "DMS.00400007"
	CodeUnsupportedVersion   = "DMS.00400008"
	CodeInvalidProductID     = "DMS.00400009"
	CodeInvalidParameter     = "DMS.00400062" // "Invalid request parameter."
	CodeInvalidParameterAlt  = "DMS.00400800" // "Invalid request parameter. Check the request parameter."
	CodeBodyInvalidKey       = "DMS.00400085" // "... The error key is <key>."
	CodeAZNotExist           = "DMS.00400042"
	CodeInstanceIDInvalid    = "DMS.00400061"
	CodeReadOnlyTenant       = "DMS.00403002"
	CodeRoleForbidden        = "DMS.00403003"
	CodeAuthorizationDenied  = "DMS.00403007"
	CodeURLNotFound          = "DMS.00404001"
	CodeInstanceNotFound     = "DMS.00404022"
	CodeMethodNotAllowed     = "DMS.00405001"
	CodeInternal             = "DMS.00500000"
	CodeProductNotExist      = "DMS.00501010"
	CodeTokenInvalid         = "DMS.10240101"
	CodeTokenExpired         = "DMS.10240102"
	CodeTokenMissing         = "DMS.10240103"
	CodeTokenProjectMismatch = "DMS.10240104"
	CodeAccessDenied         = "DMS.10240309"
	CodeNotImplemented       = "DMS.00501900"
	CodeSignatureInvalid     = "DMS.10240105"
	CodeClockSkew            = "DMS.10240106"
	CodeConflict             = "DMS.00409001"
	CodeResourceNotFound     = "DMS.00404900"
	CodeBodyTooLarge         = "DMS.00413001"
)

// Instance lifecycle (5.1), tags (5.10) and tasks (5.9).
const (
	CodeInstanceNameInvalid   = "DMS.00400010"
	CodeDescriptionTooLong    = "DMS.00400011"
	CodePasswordWeak          = "DMS.00400012"
	CodeVpcIDEmpty            = "DMS.00400013"
	CodeSecurityGroupEmpty    = "DMS.00400014"
	CodeAccessUserInvalid     = "DMS.00400015"
	CodeSubnetIDEmpty         = "DMS.00400016"
	CodeInstanceBusy          = "DMS.00400017"
	CodeInstanceStatusForbids = "DMS.00400026"
	CodeInstanceQuota         = "DMS.00400035"
	CodeUpgradeNotRunning     = "DMS.00400052"
	CodeUpgradeSameVersion    = "DMS.00400053"
	CodeSoldOut               = "DMS.00400055"
	CodeInstanceNameExists    = "DMS.00400060"
	CodeConfigInvalid         = "DMS.00400063"
	CodeBatchActionInvalid    = "DMS.00400064"
	CodeBatchInstancesEmpty   = "DMS.00400065"
	CodeTaskIDInvalid         = "DMS.00400070"
	CodeInsufficientIPs       = "DMS.00400077"
	CodeInstanceNotDeletable  = "DMS.00400099"
	CodeBatchTooMany          = "DMS.00400100"
	CodeMaintainWindowInvalid = "DMS.00400106"
	CodeSpecCodeInvalid       = "DMS.00400125"
	CodePeriodInvalid         = "DMS.00400126"
	CodePublicAccessInvalid   = "DMS.00400128"
	CodeDiskKeyEmpty          = "DMS.00400136"
	CodeDiskSpaceInvalid      = "DMS.00400500"
	CodeTagKeyInvalid         = "DMS.10240035"
	CodeTagValueInvalid       = "DMS.10240039"
	CodeTagActionInvalid      = "DMS.10240040"
	CodeTagTooMany            = "DMS.10240044"
	CodeTagKeyUsed            = "DMS.10240045"
)

// CodeInstanceIDRepeated is a batch naming an instance twice.
const CodeInstanceIDRepeated = "DMS.00400082"

// V1 (7.1.1.1) validation.
const (
	CodeAdvancedProductNotFound = "DMS.00400029" // a specification naming another product, or no flavor fits
	CodePasswordComplexity      = "DMS.00400019" // the Kafka Manager password
	CodeTagKeyChars             = "DMS.10240036"
	CodeTagValueTooLong         = "DMS.10240038"
)

// Topics (5.5.2-5.5.8, 5.2.4, 5.2.10, 7.1.1.7-7.1.1.9, 7.2.2.1).
const (
	CodeTopicNameInvalid      = "DMS.00400101"
	CodeTopicPartitionInvalid = "DMS.00400102"
	CodeTopicReplicaInvalid   = "DMS.00400103"
	CodeTopicRetentionInvalid = "DMS.00400105"
	CodeTopicReplicaTooMany   = "DMS.00400861" // replication factor larger than the brokers
	CodeTopicNotExist         = "DMS.00400876"
	CodePartitionQuota        = "DMS.111400860" // the instance's partition_num would be exceeded
)

// Messages (5.5.1, 5.8.1-5.8.6). A topic that does not exist is CodeTopicNotExist.
const (
	CodeTimestampInvalid = "DMS.00400142"
	CodePageSizeTooLarge = "DMS.10240042" // limit above the maximum page size
	CodePageSkipTooLarge = "DMS.10240043" // a page too deep (page x limit above the maximum)
	CodeMessageTooLarge  = "DMS.10540011"
	CodeQueryTimeout     = "DMS.111501024" // 408: a search stopped at its time bound with nothing to show
	CodeQueryBusy        = "DMS.111501025" // 503: too many searches at once
	CodeQueryMaxBytes    = "DMS.111501026" // 501: a search stopped at its byte or record bound with nothing to show
)

// Consumer groups (5.6.1, 5.6.2, 5.6.6, 5.6.8, 5.6.11, 5.6.12, 7.2.3.2).
const (
	CodeGroupNotFound = "DMS.10240405" // 404: the consumer group does not exist
)

// Consumer group writes (5.6.3, 5.6.5, 5.6.9, 7.2.3.1, DeleteGroup, DeleteConsumerGroupOffsets).
// The reference has no code for a group with active members: it is OpenDMS's 409 conflict, with a
// message naming Kafka's NON_EMPTY_GROUP.
const (
	CodeGroupNotEmpty = "DMS.00409001" // 409: the group has active members; stop its consumers first
)

// Consumer groups created and described through the API (5.6.4, 5.6.7, 5.6.10).
const (
	CodeGroupIDInvalid = "DMS.10240016" // 400: the group name breaks the naming rule
	CodeGroupExists    = "DMS.10240018" // 400: a group of that name exists (in Kafka or created through the API)
)

// User and client quotas (5.2.13-5.2.16). Chapter 8.2 has no code for a quota that exists already
// or does not exist: they are OpenDMS's conflict and not-found codes. Invalid bodies are
// CodeInvalidParameter, with a message naming the field.
const (
	CodeQuotaExists   = "DMS.00409001" // 409: create for an entity that has a quota; modify it instead
	CodeQuotaNotFound = "DMS.00404900" // 404: modify or delete for an entity without a quota
)

// Kafka users (5.7.x). Chapter 8.2 has no code for a user that exists already: it is OpenDMS's
// conflict code; invalid names and weak passwords use the instance's access_user codes.
const (
	CodeKafkaUserExists = "DMS.00409001" // 409: a user of that name exists on the instance
	CodeQuotaReached    = "DMS.00400039" // 400: "The quota limit has been reached." (users per instance)
)

// IAM password logins (POST /v3/auth/tokens). The reference's only throttling code, DMS.10240407,
// is listed with status 404; a lockout answers 429 with OpenDMS's own code instead.
const (
	CodeLoginLocked = "DMS.00429001" // 429: too many failed logins for the user or from the address
)

// Errors of Kafka calls, mapped in one place (internal/kafkaops/kafkaerr). Chapter 8.2 has no code
// for a cluster that cannot serve for now (brokers down, no leader, too few in-sync replicas, a
// timeout): it is OpenDMS's 503, not an internal error. A record the broker refuses as invalid (a
// keyless record to a compacted topic) is the reference's message code for invalid fields.
const (
	CodeClusterUnavailable = "DMS.00503900" // 503: the instance's cluster did not answer or could not be reached
	CodeMessageInvalid     = "DMS.10540001" // 400: "The message body contains invalid fields."
)

// Request limits and replay (issue 9: defects 2 and 13). OpenDMS codes: the reference has none for
// them (its only 503 is the message query's).
const (
	CodeRequestReplayed = "DMS.10240110" // 401: a signed non-GET request already received (same signature)
	CodeBodyTimeout     = "DMS.00408001" // 408: the request body did not arrive in time
	CodeServerBusy      = "DMS.00503001" // 503: too many request bodies being received before verification
)
