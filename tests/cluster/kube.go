package main

import (
	"k8s.io/component-base/cli"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
)

func runKubeAPIServer(_ []string) int {
	return cli.Run(apiserver.NewAPIServerCommand())
}

func runKubeControllerManager(_ []string) int {
	return cli.Run(controllermanager.NewControllerManagerCommand())
}

func runKubectl(_ []string) int {
	if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
		// CheckErr prints the error the way kubectl does and exits non-zero.
		kubectlutil.CheckErr(err)
	}
	return 0
}

func runKubeProxy(_ []string) int {
	return cli.Run(proxy.NewProxyCommand())
}
