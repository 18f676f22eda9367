package dms

import (
	"errors"
	"fmt"
	"testing"
)

func TestNamedCodesExist(t *testing.T) {
	named := []string{
		CodeProjectIDInvalid, CodeBodyEmpty, CodeBodyNotJSON, CodeUnsupportedType, CodeUnsupportedVersion,
		CodeInvalidProductID, CodeInvalidParameter, CodeInvalidParameterAlt, CodeBodyInvalidKey, CodeAZNotExist,
		CodeInstanceIDInvalid, CodeReadOnlyTenant, CodeRoleForbidden, CodeAuthorizationDenied, CodeURLNotFound,
		CodeInstanceNotFound, CodeMethodNotAllowed, CodeInternal, CodeProductNotExist, CodeTokenInvalid,
		CodeTokenExpired, CodeTokenMissing, CodeTokenProjectMismatch, CodeAccessDenied, CodeNotImplemented,
		CodeSignatureInvalid, CodeClockSkew, CodeConflict, CodeResourceNotFound, CodeBodyTooLarge,
		CodeInstanceNameInvalid, CodeDescriptionTooLong, CodePasswordWeak, CodeVpcIDEmpty, CodeSecurityGroupEmpty, CodeAccessUserInvalid, CodeSubnetIDEmpty, CodeInstanceBusy, CodeInstanceStatusForbids, CodeInstanceQuota, CodeUpgradeNotRunning, CodeUpgradeSameVersion, CodeSoldOut, CodeInstanceNameExists, CodeConfigInvalid, CodeBatchActionInvalid, CodeBatchInstancesEmpty, CodeTaskIDInvalid, CodeInsufficientIPs, CodeInstanceNotDeletable, CodeBatchTooMany, CodeMaintainWindowInvalid, CodeSpecCodeInvalid, CodePeriodInvalid, CodePublicAccessInvalid, CodeDiskKeyEmpty, CodeDiskSpaceInvalid, CodeTagKeyInvalid, CodeTagValueInvalid, CodeTagActionInvalid, CodeTagTooMany, CodeTagKeyUsed, CodeInstanceIDRepeated, CodeAdvancedProductNotFound, CodePasswordComplexity, CodeTagKeyChars, CodeTagValueTooLong,
		CodeTopicNameInvalid, CodeTopicPartitionInvalid, CodeTopicReplicaInvalid, CodeTopicRetentionInvalid, CodeTopicReplicaTooMany,
		CodeTopicNotExist, CodePartitionQuota,
		CodeTimestampInvalid, CodePageSizeTooLarge, CodePageSkipTooLarge, CodeMessageTooLarge, CodeQueryTimeout, CodeQueryBusy, CodeQueryMaxBytes,
		CodeGroupNotFound, CodeGroupNotEmpty, CodeGroupIDInvalid, CodeGroupExists,
		CodeKafkaUserExists, CodeQuotaReached,
		CodeQuotaExists, CodeQuotaNotFound,
		CodeClusterUnavailable, CodeMessageInvalid,
		CodeRequestReplayed, CodeBodyTimeout, CodeServerBusy,
	}
	for _, c := range named {
		if _, ok := LookupCode(c); !ok {
			t.Errorf("code %s is not in the table", c)
		}
	}
}

func TestCodeTable(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{"DMS.00404001", 404},
		{"DMS.00405001", 405},
		{"DMS.00404022", 404},
		{"DMS.00400005", 400},
		{"DMS.111501026", 501}, // a 9-digit code re-joined by the seed
		{"DMS.10240103", 401},
		{CodeNotImplemented, 501},
	}
	for _, tt := range tests {
		e := E(tt.code)
		if e.Status != tt.status || e.Message == "" {
			t.Errorf("E(%s) = %d %q, want status %d and a message", tt.code, e.Status, e.Message, tt.status)
		}
	}
	if n := len(codeTable); n != 196+len(extraCodes) {
		t.Errorf("table has %d codes, want %d", n, 196+len(extraCodes))
	}
}

func TestAsError(t *testing.T) {
	base := Errorf(CodeInstanceNotFound, "instance %s does not exist", "x")
	wrapped := fmt.Errorf("ctx: %w", base)
	if got := AsError(wrapped); got.Code != CodeInstanceNotFound || got.Message != "instance x does not exist" {
		t.Errorf("AsError kept %+v", got)
	}
	internal := AsError(errors.New("disk on fire"))
	if internal.Status != 500 || internal.Code != CodeInternal || errors.Unwrap(internal) == nil {
		t.Errorf("AsError of a plain error = %+v", internal)
	}
}

func TestDiagnosisConclusionText(t *testing.T) {
	for id, text := range DiagnosisConclusions {
		if text == "" {
			t.Errorf("conclusion %d has no text", id)
		}
	}
	c := DiagnosisConclusion{ID: CauseNoActiveConsumer, Params: map[string]string{"GROUP": "g1", "TOPIC": "orders"}}
	if got, want := c.Text(), "The consumer group g1 has no active consumer: nothing consumes orders."; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if got, want := (DiagnosisConclusion{ID: 9999, Params: map[string]string{"B": "2", "A": "1"}}).Text(), "conclusion 9999 A=1 B=2"; got != want {
		t.Errorf("unknown id: %q, want %q", got, want)
	}
}
