// Command cluster is a multi-call binary holding a whole Kubernetes test
// control plane, so that it links once and shares one build cache:
//
//	cluster etcd --data-dir D --listen-client-url U --listen-peer-url U
//	cluster etcd-compact --endpoint U
//	cluster pki --dir D --hosts 127.0.0.1,localhost
//	cluster kube-apiserver [kube-apiserver flags]
//	cluster kube-controller-manager [kube-controller-manager flags]
//	cluster kubectl [kubectl arguments]
//	cluster kube-proxy [kube-proxy flags]
//	cluster coredns -conf Corefile
//	cluster mcs-crds                 (prints the MCS API's CRDs, as sigs.k8s.io/mcs-api embeds them)
//	cluster informer --server U [--ca-file F] [--token T] [--resources services,endpointslices,endpoints]
//	                 [--namespace N] [--label-selector S] [--interval 200ms]
//
// Each component runs as its own process; tests/cluster/mod.ts wires them.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

var commands = map[string]func(args []string) int{
	"etcd":                    runEtcd,
	"etcd-compact":            runEtcdCompact,
	"pki":                     runPKI,
	"kube-apiserver":          runKubeAPIServer,
	"kube-controller-manager": runKubeControllerManager,
	"kubectl":                 runKubectl,
	"kube-proxy":              runKubeProxy,
	"coredns":                 runCoreDNS,
	"informer":                runInformer,
	"mcs-crds":                runMCSCRDs,
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cluster: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	go exitWithParent()
	// The embedded commands parse os.Args themselves (cobra), so the
	// multi-call name is shifted away: they see themselves as argv[0].
	os.Args = os.Args[1:]
	os.Exit(run(os.Args[1:]))
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: cluster {%s} [args...]\n", strings.Join(names, "|"))
}

// exitWithParent sends SIGTERM to this process once its parent is gone (it
// was re-parented), so a test runner that dies without cleaning up never
// leaves a control plane running. The ppid is polled rather than using
// PR_SET_PDEATHSIG, which fires when the spawning *thread* exits.
func exitWithParent() {
	parent := os.Getppid()
	for range time.Tick(time.Second) {
		if os.Getppid() != parent {
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			return
		}
	}
}
