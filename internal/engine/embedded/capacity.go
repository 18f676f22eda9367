package embedded

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/engine"
)

var _ engine.ProduceGate = (*Engine)(nil)

// SetProduceReject closes or opens the instance's produce gate: while closed, kfake answers every
// produce request with TOPIC_AUTHORIZATION_FAILED on each partition (what the local engine's brokers
// answer, so clients see one behaviour), with the reason as the response's error message (Produce
// v8+ carries one; Kafka's authorizer cannot set it). The gate lives in the engine's record of the
// instance: a dmsd restart opens it until the control plane closes it again.
func (e *Engine) SetProduceReject(ctx context.Context, spec engine.Spec, reject bool, reason string) error {
	inst, err := e.lock(ctx, spec.InstanceID, false)
	if err != nil {
		return err
	}
	if inst == nil {
		return engine.ErrUnknownInstance
	}
	defer inst.unlock()
	if reject {
		inst.rejectReason.Store(&reason)
	} else {
		inst.rejectReason.Store(nil)
	}
	return nil
}

// gateProduce installs the produce gate's control function on a new cluster of inst. It stays
// installed for the cluster's life and lets requests through while the gate is open.
func gateProduce(c *kfake.Cluster, inst *instance) {
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		reason := inst.rejectReason.Load()
		if reason == nil {
			return nil, nil, false // not handled: kfake produces as usual, and keeps this function
		}
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		if req.Acks == 0 {
			// No answer for acks=0: the records are dropped (kfake then only unblocks the
			// connection, as for a normal acks=0 produce).
			return nil, nil, true
		}
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		msg := "OpenDMS: produce refused: " + *reason
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				sp.ErrorMessage = &msg
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}
