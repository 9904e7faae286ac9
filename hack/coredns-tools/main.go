// A CoreDNS build with only the plugins the local data plane uses (kubernetes, health,
// ready, errors, log): the full plugin set pulls cloud SDKs that take minutes to compile.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order is CoreDNS's own (core/dnsserver/zdirectives.go): plugins run in this order
// whatever order the Corefile lists them in.
func init() {
	dnsserver.Directives = []string{"ready", "health", "errors", "log", "kubernetes"}
}

func main() {
	coremain.Run()
}
