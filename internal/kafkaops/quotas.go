package kafkaops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client quotas (KIP-546): byte-rate limits the brokers apply per user (the authenticated
// principal's name), per client id, or per user and client id, where a default entity stands for
// every user (client id) without a quota of its own. Kafka keeps them in the cluster's metadata
// (DescribeClientQuotas / AlterClientQuotas, forwarded to the controller) and enforces them on
// every broker by delaying the answers of a client over its rate. kfake stores them and answers the
// same, but enforces nothing (engine.Capabilities.Quotas).

// The quota keys this package reads and writes. Kafka knows others (request_percentage,
// controller_mutation_rate, ...): they are left as they are.
const (
	QuotaProducerByteRate = "producer_byte_rate"
	QuotaConsumerByteRate = "consumer_byte_rate"
)

// Entity types of the quotas this package handles; "ip" quotas (connection rates) are not listed.
const (
	quotaEntityUser     = "user"
	quotaEntityClientID = "client-id"
)

// MaxByteRate is the largest byte rate a quota takes: Kafka holds quota values as doubles, which
// represent every integer up to 2^53 exactly, so a rate up to it reads back as it was set.
const MaxByteRate = 1 << 53

// ErrQuotaEntity is a quota entity that names nobody, or both a name and the default of one type.
var ErrQuotaEntity = errors.New("kafkaops: invalid quota entity")

// QuotaEntity is who a quota applies to: a user, a client id, or a user and a client id, each
// either named or the default one. Every combination of those Kafka allows (8 shapes).
type QuotaEntity struct {
	User          string // the user's name; "" for none, or with UserDefault
	UserDefault   bool   // the default user: every user without a quota of its own
	ClientID      string // the client id; "" for none, or with ClientDefault
	ClientDefault bool   // the default client id
}

// HasUser reports whether the entity has a user component (named or default).
func (e QuotaEntity) HasUser() bool { return e.UserDefault || e.User != "" }

// HasClient reports whether the entity has a client-id component (named or default).
func (e QuotaEntity) HasClient() bool { return e.ClientDefault || e.ClientID != "" }

// Check returns ErrQuotaEntity for an entity Kafka would refuse, that names nobody, or that is
// named DefaultEntityName.
func (e QuotaEntity) Check() error {
	switch {
	case !e.HasUser() && !e.HasClient():
		return fmt.Errorf("%w: neither a user nor a client id", ErrQuotaEntity)
	case e.UserDefault && e.User != "":
		return fmt.Errorf("%w: user %q and the default user", ErrQuotaEntity, e.User)
	case e.ClientDefault && e.ClientID != "":
		return fmt.Errorf("%w: client id %q and the default client id", ErrQuotaEntity, e.ClientID)
	case e.User == DefaultEntityName || e.ClientID == DefaultEntityName:
		return fmt.Errorf("%w: %q names the default entity in Kafka's tools (and kfake confuses the two)", ErrQuotaEntity, DefaultEntityName)
	}
	return nil
}

// DefaultEntityName is how Kafka's tools write a default entity. Check refuses it as a name: a
// quota of a user named so would be read as the default user's by those tools, and kfake stores
// both under one key.
const DefaultEntityName = "<default>"

// String is "user=alice, client-id=<default>", Kafka's notation.
func (e QuotaEntity) String() string {
	var parts []string
	if e.HasUser() {
		parts = append(parts, quotaEntityUser+"="+cmp.Or(e.User, "<default>"))
	}
	if e.HasClient() {
		parts = append(parts, quotaEntityClientID+"="+cmp.Or(e.ClientID, "<default>"))
	}
	return strings.Join(parts, ", ")
}

// key identifies the entity (String does not: a user named "<default>" is not the default user).
func (e QuotaEntity) key() string {
	return fmt.Sprintf("%t %q %t %q", e.UserDefault, e.User, e.ClientDefault, e.ClientID)
}

// kadm is the entity as Kafka's request carries it: a component per type, a nil name for a default.
func (e QuotaEntity) kadm() kadm.ClientQuotaEntity {
	var out kadm.ClientQuotaEntity
	name := func(n string, def bool) *string {
		if def {
			return nil
		}
		return &n
	}
	if e.HasUser() {
		out = append(out, kadm.ClientQuotaEntityComponent{Type: quotaEntityUser, Name: name(e.User, e.UserDefault)})
	}
	if e.HasClient() {
		out = append(out, kadm.ClientQuotaEntityComponent{Type: quotaEntityClientID, Name: name(e.ClientID, e.ClientDefault)})
	}
	return out
}

// quotaEntityOf reads an entity of Kafka's answer; ok is false for one with another type of
// component (ip), or a type twice, which this package does not handle.
func quotaEntityOf(ke kadm.ClientQuotaEntity) (e QuotaEntity, ok bool) {
	seen := map[string]bool{}
	for _, c := range ke {
		if seen[c.Type] {
			return e, false
		}
		seen[c.Type] = true
		switch c.Type {
		case quotaEntityUser:
			if c.Name == nil {
				e.UserDefault = true
			} else {
				e.User = *c.Name
			}
		case quotaEntityClientID:
			if c.Name == nil {
				e.ClientDefault = true
			} else {
				e.ClientID = *c.Name
			}
		default:
			return e, false
		}
	}
	return e, e.HasUser() || e.HasClient()
}

// compareQuotaEntities orders entities by user, then client id; for each, no component first,
// then the default, then names in byte order.
func compareQuotaEntities(a, b QuotaEntity) int {
	rank := func(name string, def bool) int {
		switch {
		case def:
			return 1
		case name != "":
			return 2
		}
		return 0
	}
	return cmp.Or(
		cmp.Compare(rank(a.User, a.UserDefault), rank(b.User, b.UserDefault)),
		cmp.Compare(a.User, b.User),
		cmp.Compare(rank(a.ClientID, a.ClientDefault), rank(b.ClientID, b.ClientDefault)),
		cmp.Compare(a.ClientID, b.ClientID),
	)
}

// ClientQuota is a quota of the cluster: its entity and its byte rates in bytes/s, 0 for a
// direction without a limit.
type ClientQuota struct {
	Entity           QuotaEntity
	ProducerByteRate int64
	ConsumerByteRate int64
}

// byteRate turns Kafka's double into bytes/s: rounded, at least 1 for any positive rate (0 means
// no limit here), at most MaxInt64 (Kafka's default rate is Long.MAX_VALUE).
func byteRate(v float64) int64 {
	switch {
	case math.IsNaN(v) || v <= 0:
		return 0
	case v >= math.MaxInt64:
		return math.MaxInt64
	}
	return max(1, int64(math.Round(v)))
}

// ClientQuotas lists the cluster's quotas of user and client-id entities that set a producer or
// consumer byte rate, sorted by user then client id (compareQuotaEntities). Entities with only other
// quota keys, and ip entities, are not listed.
func (c *Client) ClientQuotas(ctx context.Context) ([]ClientQuota, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	// No component, not strict: every entity of the cluster. (Kafka's "match any" excludes the
	// default entities.)
	described, err := c.adm.DescribeClientQuotas(ctx, false, nil)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: describing client quotas: %w", err)
	}
	out := []ClientQuota{}
	for _, d := range described {
		e, ok := quotaEntityOf(d.Entity)
		if !ok {
			continue
		}
		q := ClientQuota{Entity: e}
		for _, v := range d.Values {
			switch v.Key {
			case QuotaProducerByteRate:
				q.ProducerByteRate = byteRate(v.Value)
			case QuotaConsumerByteRate:
				q.ConsumerByteRate = byteRate(v.Value)
			}
		}
		if q.ProducerByteRate > 0 || q.ConsumerByteRate > 0 {
			out = append(out, q)
		}
	}
	slices.SortFunc(out, func(a, b ClientQuota) int { return compareQuotaEntities(a.Entity, b.Entity) })
	return out, nil
}

// QuotaAlteration changes the byte rates of one entity: it sets the rates given, or with Remove
// removes both (the entity's other quota keys stay). Setting and removing are idempotent.
type QuotaAlteration struct {
	Entity           QuotaEntity
	ProducerByteRate *int64 // set when not nil, in bytes/s (1..MaxByteRate)
	ConsumerByteRate *int64
	Remove           bool
}

// AlteredQuota is the outcome of one QuotaAlteration.
type AlteredQuota struct {
	Entity QuotaEntity
	Err    error // nil when the cluster applied it
}

// AlterClientQuotas applies alterations in one AlterClientQuotas request and returns each one's
// outcome, in their order: ErrQuotaEntity for an invalid entity (not sent), an alteration without
// anything to do, or a rate out of 1..MaxByteRate; Kafka's error for one it refused (kerr
// errors, testable with errors.Is). The error returned is for the whole call.
func (c *Client) AlterClientQuotas(ctx context.Context, alts []QuotaAlteration) ([]AlteredQuota, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	out := make([]AlteredQuota, len(alts))
	var entries []kadm.AlterClientQuotaEntry
	sent := map[string]int{} // entity -> index in alts
	for i, a := range alts {
		out[i].Entity = a.Entity
		ops, err := quotaOps(a)
		if err == nil {
			err = a.Entity.Check()
		}
		if _, dup := sent[a.Entity.key()]; dup && err == nil {
			err = fmt.Errorf("%w: %s is altered twice", ErrQuotaEntity, a.Entity)
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		sent[a.Entity.key()] = i
		entries = append(entries, kadm.AlterClientQuotaEntry{Entity: a.Entity.kadm(), Ops: ops})
	}
	if len(entries) == 0 {
		return out, nil
	}
	altered, err := c.adm.AlterClientQuotas(ctx, entries)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: altering client quotas: %w", err)
	}
	answered := map[int]bool{}
	for _, r := range altered {
		e, ok := quotaEntityOf(r.Entity)
		if !ok {
			continue
		}
		i, ok := sent[e.key()]
		if !ok {
			continue
		}
		answered[i] = true
		if r.Err != nil {
			out[i].Err = fmt.Errorf("kafkaops: quota of %s: %w", e, withMessage(r.Err, r.ErrMessage))
		}
	}
	for _, i := range sent {
		if !answered[i] {
			out[i].Err = fmt.Errorf("kafkaops: quota of %s: no answer from the cluster", alts[i].Entity)
		}
	}
	return out, nil
}

// quotaOps are the operations of an alteration.
func quotaOps(a QuotaAlteration) ([]kadm.AlterClientQuotaOp, error) {
	if a.Remove {
		if a.ProducerByteRate != nil || a.ConsumerByteRate != nil {
			return nil, fmt.Errorf("%w: %s: rates given to a removal", ErrQuotaEntity, a.Entity)
		}
		return []kadm.AlterClientQuotaOp{
			{Key: QuotaProducerByteRate, Remove: true},
			{Key: QuotaConsumerByteRate, Remove: true},
		}, nil
	}
	var ops []kadm.AlterClientQuotaOp
	for _, r := range []struct {
		key  string
		rate *int64
	}{{QuotaProducerByteRate, a.ProducerByteRate}, {QuotaConsumerByteRate, a.ConsumerByteRate}} {
		if r.rate == nil {
			continue
		}
		if *r.rate < 1 || *r.rate > MaxByteRate {
			return nil, fmt.Errorf("%w: %s: %s %d is outside 1..%d", ErrQuotaEntity, a.Entity, r.key, *r.rate, int64(MaxByteRate))
		}
		ops = append(ops, kadm.AlterClientQuotaOp{Key: r.key, Value: float64(*r.rate)})
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: %s: no rate to set", ErrQuotaEntity, a.Entity)
	}
	return ops, nil
}

// WaitQuotaApplied waits until every broker that answers shows alt applied: the given rates set,
// or no byte rate left for a removal. Apache Kafka answers AlterClientQuotas once the controller
// has committed the change; each broker applies it from the metadata log a moment later, and
// answers DescribeClientQuotas and throttles clients from what it has applied, so right after the
// alteration a broker may still show (and enforce) the old quota. A broker that does not answer is
// not waited for: it applies the log when it is back. Bounded by the request timeout.
func (c *Client) WaitQuotaApplied(ctx context.Context, alt QuotaAlteration) error {
	if err := alt.Entity.Check(); err != nil {
		return err
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	md, err := c.brokerMetadata(ctx)
	if err != nil {
		return fmt.Errorf("kafkaops: listing the brokers: %w", err)
	}
	pending := map[int32]bool{}
	for _, b := range md.Brokers {
		pending[b.NodeID] = true
	}
	for {
		for id := range pending {
			values, err := c.brokerQuota(ctx, id, alt.Entity)
			if err != nil || quotaApplied(alt, values) {
				delete(pending, id)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			ids := slices.Sorted(maps.Keys(pending))
			return fmt.Errorf("kafkaops: brokers %v do not show the quota of %s as set yet: %w", ids, alt.Entity, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// brokerQuota asks one broker for the quota values of exactly entity.
func (c *Client) brokerQuota(ctx context.Context, broker int32, e QuotaEntity) (map[string]float64, error) {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	req.Strict = true
	for _, ec := range e.kadm() {
		rc := kmsg.NewDescribeClientQuotasRequestComponent()
		rc.EntityType = ec.Type
		rc.Match = ec.Name
		rc.MatchType = kmsg.QuotasMatchTypeExact
		if ec.Name == nil {
			rc.MatchType = kmsg.QuotasMatchTypeDefault
		}
		req.Components = append(req.Components, rc)
	}
	resp, err := req.RequestWith(ctx, c.cl.Broker(int(broker)))
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	values := map[string]float64{}
	for _, entry := range resp.Entries {
		for _, v := range entry.Values {
			values[v.Key] = v.Value
		}
	}
	return values, nil
}

// quotaApplied reports whether a broker's values of the entity show alt applied.
func quotaApplied(alt QuotaAlteration, values map[string]float64) bool {
	if alt.Remove {
		_, p := values[QuotaProducerByteRate]
		_, c := values[QuotaConsumerByteRate]
		return !p && !c
	}
	for key, rate := range map[string]*int64{QuotaProducerByteRate: alt.ProducerByteRate, QuotaConsumerByteRate: alt.ConsumerByteRate} {
		if v, ok := values[key]; rate != nil && (!ok || v != float64(*rate)) {
			return false
		}
	}
	return true
}

// QuotaRetriable reports whether an alteration's error may pass by itself (a broker or the
// controller not reachable or not ready), as opposed to a refusal of the request.
func QuotaRetriable(err error) bool {
	if errors.Is(err, ErrQuotaEntity) {
		return false
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable
	}
	return true // not a Kafka answer: the request did not get one
}
