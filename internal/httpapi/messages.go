package httpapi

// Messages: 5.5.1 and 5.8.1-5.8.6.
func (s *Server) implementMessages() {}
