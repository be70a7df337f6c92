// Package synth generates the deterministic synthetic district that the simulated data
// platforms (province, city, district in connectors/sim) serve from: residents with valid ID
// numbers in households across the 525 villages of Zhangqiu district, an ageing rural age
// structure, marriages, one-child and two-daughter families, disability certificates,
// 低保/特困 rolls, social insurance, deaths, the district's subsidy rolls, a few deliberate
// inconsistencies between the platforms and a few errors on the rolls (a person on two rolls
// that may not be held together, a household on a household subsidy's roll twice).
//
// Generate builds a District from a Config. Persons and Households are plain slices with
// index links (Spouse, Father, Mother, Household, Members); PersonByID and HouseholdByNo
// look them up; Licences derives a person's e-licences on demand (GB/T 36904 identifiers,
// issuers with valid USCCs); Changes is the district platform's change feed; Stats and
// Inconsistent describe the shape of the data; Samples picks residents worth trying in a
// demo. A District is read-only after Generate and safe for concurrent use.
//
// The same Config always yields identical data, whatever the wall clock or the number of
// CPUs: ages and validity are computed against Config.Reference, and parallel work is split
// into fixed chunks of persons, each drawn from its own PCG stream seeded from (seed, chunk).
// Families never span chunks, so chunks are merged by rebasing their indexes; ID-number
// sequences are then drawn in one sequential pass, which keeps them unique.
//
// The "likely eligible" heuristics here only shape the synthetic rolls and choose demo
// samples; eligibility is decided by the hub's policy bundle.
//
// The package belongs to the simulators, which are written as if by another team: it imports
// no connector package of the hub, only the identifier and division helpers.
package synth
