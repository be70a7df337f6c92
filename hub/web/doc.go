// Package web is the counter web UI (窗口受理、审核、审批结果、数据使用记录) that village
// cadres, work-area and town reviewers and auditors open in a browser at the hub's own
// address. It is plain HTML, CSS and JavaScript modules embedded in the binary: no build step,
// no CDN, no external fonts or scripts, because counters sit on a closed government network.
//
// The pages are a client of the hub's REST API (DESIGN.md section 3): the user pastes a caller
// token once, the browser keeps it in sessionStorage and sends it as a bearer token; it never
// appears in a URL. UI (mounted by api.Routes) serves the page at "/" and its assets under "/ui/" without
// shadowing any API route.
//
// Every page is in Chinese by default and has the language switch (#lang-switch, i18n.js):
// in English every interface label is translated through i18n.js's table, and data the hub
// sends (names of people, divisions and items, purposes, free-text reasons) is marked with one
// of the classes i18n.js leaves alone (division, item-name, data, mono, reason-text). A page
// sets body data-ready="true" once it has started. The browser test TestBrowserEveryPageInEnglish
// opens every page the main menu of index.html links to and holds each one to this.
package web
