package quotas

import (
	"errors"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

func rate(v int64) *int64 { return &v }

func TestValidate(t *testing.T) {
	long := strings.Repeat("é", MaxNameLength) // characters, not bytes
	tests := []struct {
		name    string
		op      Op
		r       Request
		want    kafkaops.QuotaEntity
		wantErr string // a part of the message; "" for valid
	}{
		// The eight shapes Kafka allows.
		{"user", OpCreate, Request{User: "alice", ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{User: "alice"}, ""},
		{"client", OpCreate, Request{Client: "app", ConsumerByteRate: rate(1)}, kafkaops.QuotaEntity{ClientID: "app"}, ""},
		{"user and client", OpModify, Request{User: "alice", Client: "app", ProducerByteRate: rate(2), ConsumerByteRate: rate(3)},
			kafkaops.QuotaEntity{User: "alice", ClientID: "app"}, ""},
		{"user-default", OpCreate, Request{UserDefault: true, ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{UserDefault: true}, ""},
		{"client-default, as the reference's example", OpCreate, Request{User: "", Client: "", ClientDefault: true, ProducerByteRate: rate(3145728), ConsumerByteRate: rate(2097152)},
			kafkaops.QuotaEntity{ClientDefault: true}, ""},
		{"user-default and client", OpCreate, Request{UserDefault: true, Client: "app", ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{UserDefault: true, ClientID: "app"}, ""},
		{"user and client-default", OpCreate, Request{User: "alice", ClientDefault: true, ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{User: "alice", ClientDefault: true}, ""},
		{"both defaults", OpCreate, Request{UserDefault: true, ClientDefault: true, ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{UserDefault: true, ClientDefault: true}, ""},
		{"largest rate", OpCreate, Request{User: "a", ProducerByteRate: rate(kafkaops.MaxByteRate)}, kafkaops.QuotaEntity{User: "a"}, ""},
		{"longest name", OpCreate, Request{User: long, ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{User: long}, ""},
		{"delete needs no rate", OpDelete, Request{Client: "app"}, kafkaops.QuotaEntity{ClientID: "app"}, ""},
		{"delete ignores rates", OpDelete, Request{Client: "app", ProducerByteRate: rate(-1)}, kafkaops.QuotaEntity{ClientID: "app"}, ""},

		{"no entity", OpCreate, Request{ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{}, "give the quota's user"},
		{"no entity, defaults false", OpDelete, Request{UserDefault: false, ClientDefault: false}, kafkaops.QuotaEntity{}, "give the quota's user"},
		{"user and user-default", OpCreate, Request{User: "alice", UserDefault: true, ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{}, "user and user-default are exclusive"},
		{"client and client-default", OpDelete, Request{Client: "app", ClientDefault: true}, kafkaops.QuotaEntity{}, "client and client-default are exclusive"},
		{"no rate", OpCreate, Request{User: "alice"}, kafkaops.QuotaEntity{}, "give producer-byte-rate or consumer-byte-rate"},
		{"no rate to modify", OpModify, Request{Client: "app"}, kafkaops.QuotaEntity{}, "give producer-byte-rate or consumer-byte-rate"},
		{"zero rate", OpCreate, Request{User: "alice", ProducerByteRate: rate(0)}, kafkaops.QuotaEntity{}, "producer-byte-rate must be from 1"},
		{"negative rate", OpModify, Request{User: "alice", ProducerByteRate: rate(5), ConsumerByteRate: rate(-1)}, kafkaops.QuotaEntity{}, "consumer-byte-rate must be from 1"},
		{"rate too large", OpCreate, Request{User: "alice", ConsumerByteRate: rate(kafkaops.MaxByteRate + 1)}, kafkaops.QuotaEntity{}, "consumer-byte-rate must be from 1 to 9007199254740992"},
		{"name too long", OpCreate, Request{Client: long + "x", ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{}, "client is longer than 255 characters"},
		{"name <default>", OpCreate, Request{User: "<default>", ProducerByteRate: rate(1)}, kafkaops.QuotaEntity{}, "set user-default true instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Validate(tt.op, tt.r)
			if tt.wantErr == "" {
				if err != nil || e != tt.want {
					t.Fatalf("Validate = %+v, %v; want %+v", e, err, tt.want)
				}
				return
			}
			var de *dms.Error
			if !errors.As(err, &de) || de.Status != 400 || de.Code != dms.CodeInvalidParameter || !strings.Contains(de.Message, tt.wantErr) {
				t.Fatalf("Validate error = %v; want 400 %s containing %q", err, dms.CodeInvalidParameter, tt.wantErr)
			}
		})
	}
}

func TestOpTask(t *testing.T) {
	if OpCreate.task() != taskCreate || OpModify.task() != taskModify || OpDelete.task() != taskDelete {
		t.Fatal("task names")
	}
}
