// grpc-gateway v1 as a REST peer for bench/gateway.sh: its generated reverse proxy for
// switchboard.ticket.v1.TicketService (from the same google.api.http annotations our gateway
// reads), served over HTTP/1.1 in front of one gRPC backend.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"

	ticketpb "switchboard/ticket/v1"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 8081, "port to listen on")
	backend := flag.String("backend", "127.0.0.1:50051", "the TicketService to proxy to (host:port)")
	flag.Parse()

	ctx := context.Background()
	// The proto3 JSON mapping (lowerCamelCase names), as our gateway answers, instead of
	// grpc-gateway v1's default of the proto field names: both sides send the same JSON.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard,
		&runtime.JSONPb{OrigName: false}))
	err := ticketpb.RegisterTicketServiceHandlerFromEndpoint(ctx, mux, *backend,
		[]grpc.DialOption{grpc.WithInsecure()})
	if err != nil {
		log.Fatalf("register TicketService handlers for backend %s: %v", *backend, err)
	}
	address := fmt.Sprintf("%s:%d", *host, *port)
	log.Printf("rest_gateway (grpc-gateway v1, grpc-go %s) listening on %s, backend %s",
		grpc.Version, address, *backend)
	log.Fatal(http.ListenAndServe(address, mux))
}
