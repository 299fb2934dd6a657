package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/mcs-api/config/crd"
)

// runMCSCRDs prints the Multi-Cluster Services API's CustomResourceDefinitions
// (ServiceExport, ServiceImport) as sigs.k8s.io/mcs-api embeds them, as one
// YAML stream, so tests install the upstream definitions, never a copy.
func runMCSCRDs(args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(os.Stderr, "mcs-crds: takes no arguments, got %q\n", args)
		return 2
	}
	for _, document := range [][]byte{crd.ServiceExportCRD, crd.ServiceImportCRD} {
		if _, err := fmt.Fprintf(os.Stdout, "---\n%s", document); err != nil {
			fmt.Fprintf(os.Stderr, "mcs-crds: %v\n", err)
			return 1
		}
	}
	return 0
}
