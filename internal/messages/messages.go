// Package messages is the service behind the message APIs (5.5.1 produce, 5.8.1-5.8.6 query and
// delete): it produces, searches and deletes records on the instance's real cluster through kafkaops.
package messages

import "github.com/opendms/opendms/internal/instances"

// Service is the message service.
type Service struct {
	instances *instances.Service
}

// New makes the service over the instances (which give each instance's Kafka client).
func New(inst *instances.Service) *Service { return &Service{instances: inst} }
