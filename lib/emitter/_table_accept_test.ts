import { equal } from "node:assert/strict";
import { isTableRequest } from "./_table_accept.ts";

// Captured from kubectl v1.37.2 with -v=8.
const kubectlGet =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const kubectlDiscovery =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

Deno.test("isTableRequest() is true for kubectl get, -o wide, --sort-by and -w", () => {
  equal(isTableRequest(kubectlGet), true);
});

Deno.test("isTableRequest() is false for kubectl -o json/yaml/name, describe and discovery", () => {
  equal(isTableRequest("application/json"), false);
  equal(isTableRequest("application/vnd.kubernetes.protobuf,application/json"), false);
  equal(isTableRequest(kubectlDiscovery), false);
});

Deno.test("isTableRequest() is false without an Accept header", () => {
  equal(isTableRequest(null), false);
  equal(isTableRequest(""), false);
});

Deno.test("isTableRequest() needs as=Table, g=meta.k8s.io and v=v1 on one clause", () => {
  equal(isTableRequest("application/json;as=Table;g=meta.k8s.io;v=v1"), true);
  equal(isTableRequest("application/json;as=Table;v=v1beta1;g=meta.k8s.io"), false);
  equal(isTableRequest("application/json;as=Table;v=v1"), false);
  equal(isTableRequest("application/json;as=Table;g=meta.k8s.io"), false);
  equal(isTableRequest("application/json;as=table;v=v1;g=meta.k8s.io"), false);
  equal(isTableRequest("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"), false);
});

Deno.test("isTableRequest() skips clauses the Emitter cannot serve and takes the next one", () => {
  equal(
    isTableRequest(`application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,${kubectlGet}`),
    true,
  );
  equal(
    isTableRequest(
      "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io",
    ),
    true,
  );
  equal(isTableRequest("application/yaml,application/json;as=Table;v=v1;g=meta.k8s.io"), true);
  equal(isTableRequest("application/json;as=Table;v=v1;g=meta.k8s.io;stream=bogus"), false);
  equal(isTableRequest("application/json;as=Table;v=v1;g=meta.k8s.io;stream=watch"), true);
});

Deno.test("isTableRequest() honours the first servable clause, as the apiserver does", () => {
  equal(isTableRequest("application/json,application/json;as=Table;v=v1;g=meta.k8s.io"), false);
  equal(
    isTableRequest("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io"),
    true,
  );
  equal(isTableRequest("*/*,application/json;as=Table;v=v1;g=meta.k8s.io"), true);
  equal(isTableRequest("application/json;as=Table;v=v1;g=meta.k8s.io;q=0,*/*;q=0.1"), false);
});

Deno.test("isTableRequest() accepts wildcards, spaces and unknown parameters as the apiserver does", () => {
  equal(isTableRequest("*/*;as=Table;v=v1;g=meta.k8s.io"), true);
  equal(isTableRequest("application/*;as=Table;v=v1;g=meta.k8s.io"), true);
  equal(isTableRequest("text/*;as=Table;v=v1;g=meta.k8s.io"), false);
  equal(isTableRequest(" application/json ; as=Table ; v=v1 ; g=meta.k8s.io ; pretty=1"), true);
  equal(isTableRequest("Application/JSON;as=Table;v=v1;g=meta.k8s.io"), false);
});

Deno.test("isTableRequest() drops malformed clauses and parameters as goautoneg does", () => {
  equal(isTableRequest("application;as=Table;v=v1;g=meta.k8s.io"), false);
  equal(isTableRequest("application/json/x;as=Table;v=v1;g=meta.k8s.io"), false);
  equal(isTableRequest("application/json;as=Table=x;v=v1;g=meta.k8s.io"), false);
  // A parameter without a value is dropped, so this clause is plain JSON.
  equal(
    isTableRequest("application/json;as=;v=;g=,application/json;as=Table;v=v1;g=meta.k8s.io"),
    false,
  );
});
