package dump

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// newS3 builds a client; retries is minio-go's per-request retry count (0: its default of 10, with
// exponential backoff and jitter).
func newS3(endpoint, region string, pathStyle bool, ak, sk string, retries int) (*minio.Client, error) {
	if err := validEndpoint(endpoint); err != nil {
		return nil, err
	}
	u, _ := url.Parse(endpoint)
	if region == "" {
		region = DefaultRegion
	}
	lookup := minio.BucketLookupDNS
	if pathStyle {
		lookup = minio.BucketLookupPath
	}
	return minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(ak, sk, ""),
		Secure:       u.Scheme == "https",
		Region:       region, // a set region also spares a GetBucketLocation round trip per bucket
		BucketLookup: lookup,
		MaxRetries:   retries,
	})
}

// Bucket is one bucket the keys see (for the SDK's ListObsBuckets).
type Bucket struct {
	Name         string
	CreationDate time.Time
	Location     string
}

// ListBuckets lists the buckets that the keys see. Location is the bucket's region as the endpoint
// reports it, else the region given (one endpoint serves one region).
func ListBuckets(ctx context.Context, endpoint, region string, pathStyle bool, ak, sk string) ([]Bucket, error) {
	cl, err := newS3(endpoint, region, pathStyle, ak, sk, 1)
	if err != nil {
		return nil, err
	}
	bs, err := cl.ListBuckets(ctx)
	if err != nil {
		return nil, describe(err, endpoint, "")
	}
	if region == "" {
		region = DefaultRegion
	}
	out := make([]Bucket, 0, len(bs))
	for _, b := range bs {
		loc := b.BucketRegion
		if loc == "" {
			loc = region
		}
		out = append(out, Bucket{Name: b.Name, CreationDate: b.CreationDate, Location: loc})
	}
	return out, nil
}

// CheckKind says what a connectivity check found wrong, for the caller's choice of DMS error code.
type CheckKind int

const (
	CheckUnreachable  CheckKind = iota + 1 // endpoint does not answer (or does not speak S3)
	CheckBadKeys                           // access key unknown or secret key wrong
	CheckNoBucket                          // bucket does not exist
	CheckAccessDenied                      // keys valid, but no access to the bucket
	CheckNoWrite                           // keys can read the bucket but not write objects to it
	CheckOther                             // any other S3 error
)

// CheckError is the error of Check, ListBuckets and a runner's fatal S3 error.
type CheckError struct {
	Kind CheckKind
	Msg  string
	Err  error // the S3 client's error
}

func (e *CheckError) Error() string { return e.Msg }
func (e *CheckError) Unwrap() error { return e.Err }

// describe turns an S3 client error into a CheckError saying what failed; bucket may be "".
func describe(err error, endpoint, bucket string) *CheckError {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "InvalidAccessKeyId", "XAdminUserNotFound": // versitygw's code for an unknown access key
		return &CheckError{CheckBadKeys, "the access key is not known to the object storage", err}
	case "SignatureDoesNotMatch":
		return &CheckError{CheckBadKeys, "the secret key does not match the access key", err}
	case "NoSuchBucket":
		return &CheckError{CheckNoBucket, fmt.Sprintf("bucket %q does not exist", bucket), err}
	case "AccessDenied", "AllAccessDisabled":
		if bucket == "" {
			return &CheckError{CheckAccessDenied, "the keys may not list buckets", err}
		}
		return &CheckError{CheckAccessDenied, fmt.Sprintf("the keys have no access to bucket %q", bucket), err}
	case "":
		var ne net.Error
		var ue *url.Error
		if errors.As(err, &ne) || errors.As(err, &ue) {
			return &CheckError{CheckUnreachable, fmt.Sprintf("object storage endpoint %s is unreachable: %v", endpoint, err), err}
		}
	}
	return &CheckError{CheckOther, fmt.Sprintf("object storage error: %v", err), err}
}

// fatal reports whether err cannot heal by retrying: the runner ends on such an error.
func fatal(err error) bool {
	ce := describe(err, "", "")
	switch ce.Kind {
	case CheckBadKeys, CheckNoBucket, CheckAccessDenied:
		return true
	}
	return false
}

// Check validates the connection to a bucket and says exactly what failed (a *CheckError): the endpoint
// is unreachable, the keys are wrong, the bucket does not exist or is not theirs, or they cannot write
// to it. The write check stores a one-byte object named .opendms-connect-check-<random> in the bucket
// and deletes it again (a failed delete is not an error: the dump needs no delete permission).
func Check(ctx context.Context, endpoint, region string, pathStyle bool, ak, sk, bucket string) error {
	if bucket == "" {
		return &CheckError{CheckNoBucket, "bucket is empty", nil}
	}
	// No retries: a check answers quickly, and a retried dial to a dead endpoint would take ~10 s.
	cl, err := newS3(endpoint, region, pathStyle, ak, sk, 1)
	if err != nil {
		return &CheckError{CheckUnreachable, err.Error(), err}
	}
	if err := probeBucket(ctx, cl, endpoint, bucket); err != nil {
		return err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	key := ".opendms-connect-check-" + hex.EncodeToString(rnd[:])
	if _, err := cl.PutObject(ctx, bucket, key, bytes.NewReader([]byte{'\n'}), 1, minio.PutObjectOptions{}); err != nil {
		ce := describe(err, endpoint, bucket)
		if ce.Kind == CheckAccessDenied {
			return &CheckError{CheckNoWrite, fmt.Sprintf("the keys cannot write to bucket %q", bucket), err}
		}
		return ce
	}
	_ = cl.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{})
	return nil
}

// probeBucket lists one key of bucket: a GET whose XML error body tells bad keys, a missing bucket and
// a denied bucket apart (a HEAD bucket answers only with a status). It returns a *CheckError.
func probeBucket(ctx context.Context, cl *minio.Client, endpoint, bucket string) error {
	lctx, cancel := context.WithCancel(ctx) // ends the listing goroutine once we stop reading
	defer cancel()
	for obj := range cl.ListObjects(lctx, bucket, minio.ListObjectsOptions{MaxKeys: 1}) {
		if obj.Err != nil {
			return describe(obj.Err, endpoint, bucket)
		}
		break
	}
	return nil
}
