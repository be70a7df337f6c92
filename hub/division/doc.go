// Package division holds the administrative division tree of Zhangqiu
// district (章丘区, GB/T 2260 code 370114): the district, its 18
// subdistricts and towns (街道/镇), 75 party-building work areas (党建工作区)
// and 525 administrative villages (行政村).
//
// The tree is fixed data compiled into the binary, built once when the
// package is initialised and never modified, so every function is safe for
// concurrent use. It does not depend on any seed: the simulated platforms,
// the stores and the policies all see the same codes.
//
// Codes: the district has the 6-digit code 370114 (older ID numbers carry
// 370181, the code of the former 章丘市); towns, work areas and villages have
// 12-digit statistical codes. A town's code is 370114ttt000 (ttt 001-015 for
// subdistricts, 100-102 for towns); a village's is the town's first nine
// digits plus 201, 202, ... (the 村委会 range 200-399); a work area's is the
// town's first nine digits plus 9 and a two-digit sequence (9xx is never used
// by statistical village codes). The tree is
//
//	district → town → work area → village
//
// so a village's Parent is its work area and its Town the town's code.
// The village and work-area names are plausible generated names, not the
// official register.
package division
