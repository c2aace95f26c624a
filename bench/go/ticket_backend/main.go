// A grpc-go switchboard.ticket.v1.TicketService for the gateway benchmark (bench/gateway.sh
// BACKEND=go): GetEvent answers from the same seeded catalogue as `switchboard serve ticket`, in
// memory, so the proxies in front of it are measured rather than the grpc++ backend.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"

	"github.com/golang/protobuf/ptypes/timestamp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	ticketpb "switchboard/ticket/v1"
)

const serviceName = "switchboard.ticket.v1.TicketService"

// The catalogue src/services/ticket/event_store.cc seeds (migration 2), field for field, so a
// GetEvent answer has the same bytes as the C++ service's on a fresh data directory.
var catalogue = []*ticketpb.Event{
	{Id: "evt-1", Name: "The Protocol Buffers", Venue: "Union Chapel, London", StartsAt: &timestamp.Timestamp{Seconds: 1798794000}, Capacity: 900, SeatsAvailable: 900, Price: 4500, Currency: "GBP"},
	{Id: "evt-2", Name: "Deadline Propagation Live", Venue: "Paradiso, Amsterdam", StartsAt: &timestamp.Timestamp{Seconds: 1799398800}, Capacity: 1500, SeatsAvailable: 1500, Price: 3900, Currency: "EUR"},
	{Id: "evt-3", Name: "Head-of-Line Blues", Venue: "Blue Note, New York", StartsAt: &timestamp.Timestamp{Seconds: 1800003600}, Capacity: 300, SeatsAvailable: 300, Price: 6000, Currency: "USD"},
	{Id: "evt-4", Name: "Trailers Only", Venue: "Lido, Berlin", StartsAt: &timestamp.Timestamp{Seconds: 1800608400}, Capacity: 700, SeatsAvailable: 700, Price: 3200, Currency: "EUR"},
	{Id: "evt-5", Name: "The Flow Control Orchestra", Venue: "Royal Albert Hall, London", StartsAt: &timestamp.Timestamp{Seconds: 1801213200}, Capacity: 5200, SeatsAvailable: 5200, Price: 8500, Currency: "GBP"},
	{Id: "evt-6", Name: "Round Robin and the Replicas", Venue: "Fillmore, San Francisco", StartsAt: &timestamp.Timestamp{Seconds: 1801818000}, Capacity: 1150, SeatsAvailable: 1150, Price: 5500, Currency: "USD"},
	{Id: "evt-7", Name: "Bidirectional", Venue: "Olympia, Paris", StartsAt: &timestamp.Timestamp{Seconds: 1802422800}, Capacity: 2000, SeatsAvailable: 2000, Price: 4900, Currency: "EUR"},
	{Id: "evt-8", Name: "Keepalive Sessions", Venue: "Vega, Copenhagen", StartsAt: &timestamp.Timestamp{Seconds: 1803027600}, Capacity: 1550, SeatsAvailable: 1550, Price: 4200, Currency: "DKK"},
	{Id: "evt-9", Name: "Half-Closed Remote", Venue: "Razzmatazz, Barcelona", StartsAt: &timestamp.Timestamp{Seconds: 1803632400}, Capacity: 1000, SeatsAvailable: 1000, Price: 3000, Currency: "EUR"},
	{Id: "evt-10", Name: "Small Venue Showcase", Venue: "The Cellar, Oxford", StartsAt: &timestamp.Timestamp{Seconds: 1804237200}, Capacity: 100, SeatsAvailable: 100, Price: 1500, Currency: "GBP"},
	{Id: "evt-11", Name: "Server Push (Deprecated)", Venue: "Tivoli, Utrecht", StartsAt: &timestamp.Timestamp{Seconds: 1804842000}, Capacity: 2000, SeatsAvailable: 2000, Price: 3500, Currency: "EUR"},
	{Id: "evt-12", Name: "Status Codes Unplugged", Venue: "Astra, Berlin", StartsAt: &timestamp.Timestamp{Seconds: 1805446800}, Capacity: 1500, SeatsAvailable: 1500, Price: 2800, Currency: "EUR"},
}

type ticketServer struct {
	ticketpb.UnimplementedTicketServiceServer
	events   map[string]*ticketpb.Event
	serverID metadata.MD
}

func (s *ticketServer) GetEvent(ctx context.Context, req *ticketpb.GetEventRequest) (*ticketpb.Event, error) {
	// The C++ services name the replica that answered; the same header keeps the response
	// metadata the proxies carry the same size.
	if err := grpc.SetHeader(ctx, s.serverID); err != nil {
		return nil, err
	}
	event, ok := s.events[req.GetId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "event %q not found", req.GetId())
	}
	return event, nil
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 50051, "port to listen on")
	flag.Parse()

	address := fmt.Sprintf("%s:%d", *host, *port)
	listener, err := net.Listen("tcp", address)
	if err != nil {
		log.Fatalf("listen on %s: %v", address, err)
	}
	events := make(map[string]*ticketpb.Event, len(catalogue))
	for _, e := range catalogue {
		events[e.Id] = e
	}
	server := grpc.NewServer() // grpc-go's defaults, as a service would run
	ticketpb.RegisterTicketServiceServer(server, &ticketServer{
		events:   events,
		serverID: metadata.Pairs("x-server-id", "ticket-go@"+address),
	})
	// The gateway health-checks its backends (grpc.health.v1, per service name).
	healthServer := health.NewServer()
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthServer.SetServingStatus(serviceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)
	log.Printf("ticket_backend (grpc-go %s) listening on %s", grpc.Version, address)
	if err := server.Serve(listener); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
