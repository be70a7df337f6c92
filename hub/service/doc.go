// Package service is the hub's core use cases, shared by the REST API and the GraphQL layer:
// create an application (authorise, gather evidence, ask the policy, pre-fill the form),
// applicant confirmation, electronic review level by level, sealing the permit, revocation,
// and the read side for counters, department apps and auditors.
//
// Every change is written in one store transaction together with its audit entries, its
// data-use records and (when the caller sent an Idempotency-Key) the stored response, so an
// acknowledged request is durable and a repeated one creates nothing new.
//
// The package defines the small interfaces it needs from the policy engine, the evidence
// assembler and the sealer (policy.go, evidence.go, seal.go); cmd/hub wires the real ones.
package service
