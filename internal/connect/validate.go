package connect

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/connect/dump"
	"github.com/opendms/opendms/internal/connect/mm2"
	"github.com/opendms/opendms/internal/connect/redis"
	"github.com/opendms/opendms/internal/dms"
)

// ValidateRequest is the SDK's SmartConnectValidateEntity: the type of the endpoint and its
// settings (the SDK sends a Kafka source's; the Redis and object-storage fields of 5.3.3 are taken
// too).
type ValidateRequest struct {
	Type string          `json:"type"`
	Task *ValidateTarget `json:"task"`
}

// ValidateTarget is the settings of the endpoint checked.
type ValidateTarget struct {
	SourceRequest
	AccessKey     string `json:"access_key"`
	SecretKey     string `json:"secret_key"`
	OBSBucketName string `json:"obs_bucket_name"`
}

// UnmarshalJSON decodes the source settings and the object-storage fields apart: without it the
// embedded SourceRequest's UnmarshalJSON would decode the whole (and drop the latter).
func (v *ValidateTarget) UnmarshalJSON(b []byte) error {
	var own struct {
		AccessKey     string `json:"access_key"`
		SecretKey     string `json:"secret_key"`
		OBSBucketName string `json:"obs_bucket_name"`
	}
	if err := json.Unmarshal(b, &v.SourceRequest); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &own); err != nil {
		return err
	}
	v.AccessKey, v.SecretKey, v.OBSBucketName = own.AccessKey, own.SecretKey, own.OBSBucketName
	return nil
}

// validateTimeout bounds a connectivity check.
const validateTimeout = 15 * time.Second

// Validate is the SDK's ValidateConnectorConnectivity: it really connects to the peer Kafka, the
// Redis or the object store and says what failed (400 DMS.00400870).
func (s *Service) Validate(ctx context.Context, projectID, instanceID string, req ValidateRequest) error {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if req.Task == nil {
		return bad("task is required.")
	}
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	typ := strings.ToUpper(strings.TrimSpace(req.Type))
	var cerr error
	switch typ {
	case dms.ConnectKafkaSource:
		r := req.Task.SourceRequest
		if r.CurrentClusterName == "" {
			r.CurrentClusterName = "current"
		}
		if r.ClusterName == "" {
			r.ClusterName = "peer"
		}
		probe := TaskRequest{TaskName: ptr("validate"), Topics: ptr("validate"), SourceType: &typ, SourceTask: &r}
		t, sec, err := newTask(probe)
		if err != nil {
			return err
		}
		p, err := s.peer(ctx, in, t, sec)
		if err != nil {
			return err
		}
		pc := mm2.PeerCheck{Bootstrap: p.bootstrap, SecurityProtocol: t.Source.SecurityProtocol, Mechanism: t.Source.SASLMechanism,
			User: t.Source.UserName, Password: sec.Password, CACertPEM: p.caPEM}
		cerr = mm2.CheckPeer(ctx, pc)
	case dms.ConnectRedisSource, dms.ConnectRedisSink:
		addr, rtype, err := redisConn(req.Task.RedisAddress, req.Task.RedisType)
		if err != nil {
			return err
		}
		cerr = redis.Check(ctx, redisConnOf(addr, rtype, str(req.Task.RedisPassword)))
	case dms.ConnectOBSSink:
		if s.cfg.ObjectStorage.Endpoint == "" {
			return dms.Errorf(dms.CodeConnectTaskVerifyFailed, "Failed to verify the Smart Connect task: this server has no object storage endpoint (object_storage.endpoint in dmsd's config).")
		}
		if req.Task.AccessKey == "" || req.Task.SecretKey == "" || req.Task.OBSBucketName == "" {
			return bad("task.access_key, secret_key and obs_bucket_name are required for OBS_SINK.")
		}
		o := s.cfg.ObjectStorage
		cerr = dump.Check(ctx, o.Endpoint, o.Region, o.PathStyle, req.Task.AccessKey, req.Task.SecretKey, req.Task.OBSBucketName)
	default:
		return bad("type must be KAFKA_REPLICATOR_SOURCE, REDIS_REPLICATOR_SOURCE, REDIS_REPLICATOR_SINK or OBS_SINK, not %q.", req.Type)
	}
	if errors.Is(cerr, redis.ErrWrongType) {
		return redisTypeMismatch(cerr)
	}
	if cerr != nil {
		return dms.Errorf(dms.CodeConnectTaskVerifyFailed, "Failed to verify the Smart Connect task: %s", firstLine(cerr.Error()))
	}
	return nil
}

// Bucket is one bucket of ListObsBuckets.
type Bucket = dump.Bucket

// ListBuckets lists the buckets the keys see on the configured object store (the SDK's
// ListObsBuckets).
func (s *Service) ListBuckets(ctx context.Context, ak, sk string) ([]Bucket, error) {
	o := s.cfg.ObjectStorage
	if o.Endpoint == "" {
		return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: this server has no object storage endpoint (object_storage.endpoint in dmsd's config).")
	}
	if ak == "" || sk == "" {
		return nil, bad("the object-storage access key and secret key are required (headers X-OBS-Access-Key and X-OBS-Secret-Key).")
	}
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	bs, err := dump.ListBuckets(ctx, o.Endpoint, o.Region, o.PathStyle, ak, sk)
	if err != nil {
		return nil, dms.Errorf(dms.CodeConnectTaskVerifyFailed, "Failed to list the buckets: %s", firstLine(err.Error()))
	}
	return bs, nil
}
