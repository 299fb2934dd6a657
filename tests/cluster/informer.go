package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	clientfeatures "k8s.io/client-go/features"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// informerResources maps the --resources names to their typed shared
// informers, so the program uses exactly what a client-go controller uses.
var informerResources = map[string]func(informers.SharedInformerFactory) cache.SharedIndexInformer{
	"services": func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Services().Informer()
	},
	"endpointslices": func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Discovery().V1().EndpointSlices().Informer()
	},
	"endpoints": func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Endpoints().Informer()
	},
}

// runInformer runs client-go SharedInformers against --server, as an
// independent second client of an API server (kube-apiserver or the
// Emitter), and reports what their caches hold. Output on stdout, one JSON
// object per line:
//
//	{"synced":true}                                   once WaitForCacheSync returned
//	{"resource":"services","items":[{"key":"ns/name","resourceVersion":"42"}]}
//
// A snapshot line of a resource (items sorted by key) is written right after
// the synced line and then, checked every --interval, whenever that cache
// changed. Every error a reflector reports (list or watch failure, 410 Gone,
// ...) is one stderr line starting with "watch error:". The command runs
// until SIGINT, SIGTERM or end of stdin, then exits 0; exit 2 is a usage
// error.
//
// The informers take the standard LIST + WATCH path with default reflector
// settings: no resync period, a first LIST at resourceVersion=0 (pager
// limit 500), then WATCHes from the listed resourceVersion with
// allowWatchBookmarks=true (the reflector always asks for bookmarks), and
// a relist after 410 Gone. See disableWatchListClient for why streaming
// lists are off.
func runInformer(args []string) int {
	flags := flag.NewFlagSet("informer", flag.ContinueOnError)
	server := flags.String("server", "", "API server URL, e.g. https://127.0.0.1:6443")
	caFile := flags.String("ca-file", "", "PEM CA bundle that verifies the server (default: system roots)")
	token := flags.String("token", "", "bearer token sent with every request")
	resourceList := flags.String("resources", "services", "comma-separated: services, endpointslices, endpoints")
	namespace := flags.String("namespace", "", "watch only this namespace (default: all)")
	labelSelector := flags.String("label-selector", "", "label selector passed to every list and watch")
	interval := flags.Duration("interval", 200*time.Millisecond, "how often the caches are compared with the last snapshot")
	watchList := flags.Bool("watch-list", false, "keep client-go's WatchListClient streaming lists (on by default in client-go, off here unless set)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "informer: unexpected arguments %q\n", flags.Args())
		return 2
	}
	if *server == "" {
		fmt.Fprintln(os.Stderr, "informer: --server is required")
		return 2
	}
	if *interval <= 0 {
		fmt.Fprintln(os.Stderr, "informer: --interval must be positive")
		return 2
	}
	if _, err := labels.Parse(*labelSelector); err != nil {
		fmt.Fprintf(os.Stderr, "informer: invalid --label-selector: %v\n", err)
		return 2
	}
	resources, err := parseInformerResources(*resourceList)
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: %v\n", err)
		return 2
	}

	if !*watchList {
		disableWatchListClient()
	}

	config := &rest.Config{
		Host:            *server,
		BearerToken:     *token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: *caFile},
		UserAgent:       "service-reflector-test-informer",
		// Deprecation warnings (v1 Endpoints) once each, not per request.
		WarningHandler: rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true}),
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: cannot create client: %v\n", err)
		return 2
	}

	options := []informers.SharedInformerOption{}
	if *namespace != "" {
		options = append(options, informers.WithNamespace(*namespace))
	}
	if *labelSelector != "" {
		selector := *labelSelector
		options = append(options, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = selector
		}))
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, options...)

	out := &lineWriter{}
	watched := make([]watchedResource, 0, len(resources))
	for _, name := range resources {
		informer := informerResources[name](factory)
		if err := informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			out.stderr(fmt.Sprintf("watch error: %s: %s", name, oneLine(err.Error())))
		}); err != nil {
			fmt.Fprintf(os.Stderr, "informer: %v\n", err)
			return 1
		}
		watched = append(watched, watchedResource{name: name, store: informer.GetStore()})
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	go func() {
		// End of stdin (the parent closed the pipe or died) stops us too.
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()

	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for name, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			// Only a stop ends the wait unsynced; the reflectors retry forever.
			fmt.Fprintf(os.Stderr, "informer: stopped before %v synced\n", name)
			return 0
		}
	}
	out.stdout([]byte(`{"synced":true}`))

	last := make(map[string][]byte, len(watched))
	emit := func() {
		for _, resource := range watched {
			line := resource.snapshot()
			if prev, ok := last[resource.name]; ok && string(prev) == string(line) {
				continue
			}
			last[resource.name] = line
			out.stdout(line)
		}
	}
	emit()
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-ticker.C:
			emit()
		}
	}
}

// disableWatchListClient turns off client-go's WatchListClient feature for
// this process, so every reflector starts with a LIST and then WATCHes from
// the list's resourceVersion.
//
// In client-go v0.37.2 WatchListClient is Beta and ON by default (default
// false from 1.30, true from 1.35; see k8s.io/client-go/features
// known_features.go). With it on, a reflector first opens a streaming list
// (watch?sendInitialEvents=true&resourceVersionMatch=NotOlderThan) and only
// falls back to LIST if that request fails; a server that ignores
// sendInitialEvents and just starts a plain watch never sends the
// "k8s.io/initial-events-end" bookmark, and the informer would never sync.
// The Emitter does not implement streaming lists, so the classic path is
// forced here.
//
// The documented KUBE_FEATURE_WatchListClient=false environment variable
// does NOT work in this binary: linking k8s.io/kubernetes/pkg/features (for
// kube-apiserver) replaces client-go's env-var gates in an init func with
// kube's --feature-gates registry. Wrapping whatever gates are installed
// works either way.
func disableWatchListClient() {
	clientfeatures.ReplaceFeatureGates(gatesWithout{
		Gates: clientfeatures.FeatureGates(),
		off:   clientfeatures.WatchListClient,
	})
}

// gatesWithout reports one feature as disabled and defers to Gates for the
// rest.
type gatesWithout struct {
	clientfeatures.Gates
	off clientfeatures.Feature
}

func (g gatesWithout) Enabled(key clientfeatures.Feature) bool {
	return key != g.off && g.Gates.Enabled(key)
}

func parseInformerResources(list string) ([]string, error) {
	var names []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := informerResources[name]; !ok {
			known := make([]string, 0, len(informerResources))
			for k := range informerResources {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, fmt.Errorf("unknown resource %q in --resources (known: %s)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--resources names no resource")
	}
	return names, nil
}

type watchedResource struct {
	name  string
	store cache.Store
}

type snapshotItem struct {
	Key             string `json:"key"`
	ResourceVersion string `json:"resourceVersion"`
}

type snapshotLine struct {
	Resource string         `json:"resource"`
	Items    []snapshotItem `json:"items"`
}

// snapshot renders the cache of the resource as one JSON line (without the
// newline), items sorted by key.
func (r watchedResource) snapshot() []byte {
	objects := r.store.List()
	items := make([]snapshotItem, 0, len(objects))
	for _, object := range objects {
		key, err := cache.MetaNamespaceKeyFunc(object)
		if err != nil {
			key = fmt.Sprintf("<%v>", err)
		}
		item := snapshotItem{Key: key}
		if accessor, err := meta.Accessor(object); err == nil {
			item.ResourceVersion = accessor.GetResourceVersion()
		}
		items = append(items, item)
	}
	slices.SortFunc(items, func(a, b snapshotItem) int { return strings.Compare(a.Key, b.Key) })
	line, err := json.Marshal(snapshotLine{Resource: r.name, Items: items})
	if err != nil {
		// Strings only: cannot happen.
		panic(err)
	}
	return line
}

// lineWriter writes whole lines, each with one unbuffered Write (os.Stdout
// and os.Stderr do not buffer), so a reader never sees a partial line and
// every line is flushed as it is written.
type lineWriter struct {
	mu sync.Mutex
}

func (l *lineWriter) stdout(line []byte) {
	l.write(os.Stdout, line)
}

func (l *lineWriter) stderr(line string) {
	l.write(os.Stderr, []byte(line))
}

func (l *lineWriter) write(w io.Writer, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = w.Write(append(slices.Clip(line), '\n'))
}

// oneLine keeps a multi-line error message on one output line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
