package httpapi

// Topics and partitions: 5.5.2-5.5.8, 5.2.4, 5.2.10, 7.1.1.7-7.1.1.9, 7.2.2.1.
func (s *Server) implementTopics() {}
