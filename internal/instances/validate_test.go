package instances

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

// TestValidateCreateListsEveryField (issue 10, "Getting connected"): a 5.1.1 request with several
// bad fields is refused once with all of them: error_code is the first field's code (in the order
// the fields are checked), the message names every error with its code. One bad field keeps its
// own code and message.
func TestValidateCreateListsEveryField(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name      string
		mutate    func(r *CreateRequest)
		wantCode  string
		wantCodes []string // every code the message lists, in order; nil: a single error
		wantMsg   []string // parts of the message
	}{
		{"valid", func(r *CreateRequest) {}, "", nil, nil},
		{"one field keeps its own error", func(r *CreateRequest) { r.Name = "k" }, dms.CodeInstanceNameInvalid, nil, nil},
		{"name, storage and network",
			func(r *CreateRequest) { r.Name, r.StorageSpace, r.VpcID, r.SubnetID = "k", 7, "", "" },
			dms.CodeInstanceNameInvalid,
			[]string{dms.CodeInstanceNameInvalid, dms.CodeDiskSpaceInvalid, dms.CodeVpcIDEmpty, dms.CodeSubnetIDEmpty},
			[]string{"4 invalid fields: (1) ", "storage_space 7 GB"}},
		{"a generic code first",
			func(r *CreateRequest) { r.BrokerNum, r.MaintainBegin, r.RetentionPolicy = 1, "25:00", "forever" },
			dms.CodeInvalidParameter,
			[]string{dms.CodeInvalidParameter, dms.CodeMaintainWindowInvalid, dms.CodeInvalidParameter},
			[]string{"broker_num 1", "25:00", "retention_policy"}},
		{"an unknown product leaves out the checks that depend on it",
			func(r *CreateRequest) { r.ProductID, r.StorageSpace, r.AvailableZones = "nope", 7, []string{"nowhere"} },
			dms.CodeInvalidProductID,
			[]string{dms.CodeInvalidProductID, dms.CodeAZNotExist},
			[]string{`product_id "nope"`, `"nowhere"`}},
		{"SASL: user and password both",
			func(r *CreateRequest) {
				r.Description, r.SSLEnable, r.AccessUser, r.Password = strings.Repeat("d", 1025), true, "1x", "weak"
			},
			dms.CodeDescriptionTooLong,
			[]string{dms.CodeDescriptionTooLong, dms.CodeAccessUserInvalid, dms.CodePasswordWeak},
			[]string{`access_user "1x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validRequest(cat)
			tt.mutate(&req)
			_, err := validateCreate(cat, req)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			var de *dms.Error
			if !errors.As(err, &de) || de.Code != tt.wantCode || de.Status != 400 {
				t.Fatalf("error %v, want a 400 %s", err, tt.wantCode)
			}
			if tt.wantCodes == nil {
				if strings.Contains(de.Message, "invalid fields") {
					t.Errorf("a single error reads as several: %q", de.Message)
				}
				return
			}
			var got []string
			for i := 0; ; i++ {
				_, rest, ok := strings.Cut(de.Message, fmt.Sprintf("(%d) ", i+1))
				if !ok {
					break
				}
				code, _, _ := strings.Cut(rest, ":")
				got = append(got, code)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantCodes, ",") {
				t.Errorf("codes listed %v, want %v in %q", got, tt.wantCodes, de.Message)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(de.Message, w) {
					t.Errorf("message %q lacks %q", de.Message, w)
				}
			}
		})
	}
}
