// Package topics is the service behind the topic and partition APIs (5.5.2-5.5.8, 5.2.4, 5.2.10 and
// the V1/legacy forms): every call acts on the instance's real cluster through kafkaops.
package topics

import "github.com/opendms/opendms/internal/instances"

// Service is the topic service.
type Service struct {
	instances *instances.Service
}

// New makes the service over the instances (which give each instance's Kafka client).
func New(inst *instances.Service) *Service { return &Service{instances: inst} }
