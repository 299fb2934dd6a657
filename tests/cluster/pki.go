package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runPKI writes everything a test control plane needs to authenticate:
//
//	ca.crt, ca.key                   the cluster CA (signs every cert below)
//	apiserver.crt, apiserver.key     serving cert for --hosts and the in-cluster names
//	admin.crt, admin.key             client cert in group system:masters
//	controller-manager.crt, .key     client cert for kube-controller-manager
//	service-account.key, .pub        ServiceAccount token signing key pair
//
// ECDSA P-256 keys keep generation fast; every private key is PKCS#8 PEM.
func runPKI(args []string) int {
	flags := flag.NewFlagSet("pki", flag.ContinueOnError)
	dir := flags.String("dir", "", "directory to write the files into")
	hosts := flags.String("hosts", "127.0.0.1,localhost", "comma-separated IPs and DNS names the apiserver serves on")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "pki: --dir is required")
		return 2
	}
	if err := writePKI(*dir, strings.Split(*hosts, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "pki: %v\n", err)
		return 1
	}
	return 0
}

type certificate struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func writePKI(dir string, hosts []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := issue(nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "service-reflector-test-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	if err != nil {
		return err
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{
			"kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
		IPAddresses: []net.IP{net.ParseIP("10.96.0.1")},
	}
	for _, host := range hosts {
		host = strings.TrimSpace(host)
		if ip := net.ParseIP(host); ip != nil {
			serving.IPAddresses = append(serving.IPAddresses, ip)
		} else if host != "" {
			serving.DNSNames = append(serving.DNSNames, host)
		}
	}
	apiserver, err := issue(ca, serving)
	if err != nil {
		return err
	}
	admin, err := issue(ca, clientTemplate("kubernetes-admin", "system:masters"))
	if err != nil {
		return err
	}
	controllerManager, err := issue(ca, clientTemplate("system:kube-controller-manager", "system:masters"))
	if err != nil {
		return err
	}
	serviceAccount, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}

	for name, c := range map[string]*certificate{
		"ca": ca, "apiserver": apiserver, "admin": admin, "controller-manager": controllerManager,
	} {
		if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", c.cert.Raw); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(dir, name+".key"), c.key); err != nil {
			return err
		}
	}
	if err := writeKey(filepath.Join(dir, "service-account.key"), serviceAccount); err != nil {
		return err
	}
	public, err := x509.MarshalPKIXPublicKey(serviceAccount.Public())
	if err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "service-account.pub"), "PUBLIC KEY", public)
}

func clientTemplate(user, group string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: []string{group}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// issue signs template with parent, or self-signs it when parent is nil.
func issue(parent *certificate, template *x509.Certificate) (*certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	template.NotBefore = time.Now().Add(-time.Hour)
	template.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	signerCert, signerKey := template, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signerCert, key.Public(), signerKey)
	if err != nil {
		return nil, fmt.Errorf("cannot sign %q: %w", template.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certificate{cert: cert, key: key}, nil
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, blockType string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600)
}
