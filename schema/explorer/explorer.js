(function () {
  "use strict";
  var KEY = "sanmian.graphql.token";
  var $ = function (id) { return document.getElementById(id); };
  var endpoint = window.location.pathname;
  var schema = null, types = {}, history = [];

  $("token").value = sessionStorage.getItem(KEY) || "";
  $("token").addEventListener("change", function () {
    sessionStorage.setItem(KEY, $("token").value.trim());
  });
  $("query").value = sessionStorage.getItem("sanmian.graphql.query") ||
    "# 示例 Example\nquery Person($id: String!) {\n  person(idNumber: $id, purpose: \"elderly_allowance\") {\n    idNumber name sex age hukouType\n    village { code name }\n    licences { type number status provenance { platform fetchedAt stale } }\n  }\n}\n";
  $("variables").value = sessionStorage.getItem("sanmian.graphql.variables") || "{\n  \"id\": \"\"\n}";

  function post(body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var t = $("token").value.trim();
    if (t) { headers.Authorization = "Bearer " + t.replace(/^Bearer\s+/i, ""); }
    return fetch(endpoint, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "omit" })
      .then(function (r) {
        var ct = r.headers.get("Content-Type") || "";
        if (ct.indexOf("json") < 0) { return r.text().then(function (t) { return { errors: [{ message: r.status + " " + t }] }; }); }
        return r.json();
      });
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function typeName(t) {
    if (!t) { return ""; }
    if (t.kind === "NON_NULL") { return typeName(t.ofType) + "!"; }
    if (t.kind === "LIST") { return "[" + typeName(t.ofType) + "]"; }
    return t.name;
  }
  function baseName(t) { while (t && t.ofType) { t = t.ofType; } return t ? t.name : ""; }

  function typeLink(t) {
    var a = el("a", typeName(t));
    a.addEventListener("click", function () { show(baseName(t), true); });
    return a;
  }

  function crumbs() {
    var c = $("crumbs");
    c.textContent = "";
    history.forEach(function (name, i) {
      var a = el("a", name);
      a.addEventListener("click", function () { history = history.slice(0, i); show(name, true); });
      c.appendChild(a);
      if (i < history.length - 1) { c.appendChild(document.createTextNode("› ")); }
    });
  }

  function listTypes(filter) {
    var d = $("doc");
    d.textContent = "";
    var roots = [schema.queryType && schema.queryType.name, schema.mutationType && schema.mutationType.name].filter(Boolean);
    d.appendChild(el("div", "根类型 Root types", "desc"));
    roots.forEach(function (n) { var p = el("div"); p.appendChild(typeLink({ name: n })); d.appendChild(p); });
    d.appendChild(el("div", "全部类型 All types", "desc"));
    schema.types.filter(function (t) { return t.name.indexOf("__") !== 0; })
      .filter(function (t) { return !filter || t.name.toLowerCase().indexOf(filter) >= 0 || (t.description || "").toLowerCase().indexOf(filter) >= 0; })
      .sort(function (a, b) { return a.name < b.name ? -1 : 1; })
      .forEach(function (t) {
        var p = el("div");
        p.appendChild(typeLink({ name: t.name }));
        p.appendChild(el("span", " · " + t.kind.toLowerCase()));
        d.appendChild(p);
      });
  }

  function show(name, push) {
    var t = types[name];
    if (!t) { return; }
    if (push) { history.push(name); }
    crumbs();
    var d = $("doc");
    d.textContent = "";
    d.appendChild(el("h2", t.name + " (" + t.kind.toLowerCase() + ")"));
    d.appendChild(el("div", t.description || "", "desc"));
    (t.fields || t.inputFields || []).forEach(function (f) {
      var row = el("div", null, "field");
      var head = el("div");
      head.appendChild(el("strong", f.name));
      head.appendChild(document.createTextNode(": "));
      head.appendChild(typeLink(f.type));
      row.appendChild(head);
      row.appendChild(el("div", f.description || "", "desc"));
      (f.args || []).forEach(function (a) {
        var ar = el("div", null, "args");
        ar.appendChild(document.createTextNode(a.name + ": "));
        ar.appendChild(typeLink(a.type));
        if (a.defaultValue != null) { ar.appendChild(document.createTextNode(" = " + a.defaultValue)); }
        ar.appendChild(el("div", a.description || "", "desc"));
        row.appendChild(ar);
      });
      d.appendChild(row);
    });
    (t.enumValues || []).forEach(function (v) {
      var row = el("div", null, "field");
      row.appendChild(el("strong", v.name));
      row.appendChild(el("div", v.description || "", "desc"));
      d.appendChild(row);
    });
  }

  function loadDocs() {
    $("doc").textContent = "加载中 Loading…";
    var q = JSON.parse($("introspection-query").textContent);
    post({ query: q, operationName: "IntrospectionQuery" }).then(function (r) {
      if (!r.data || !r.data.__schema) { throw new Error(JSON.stringify(r.errors || r)); }
      schema = r.data.__schema;
      types = {};
      schema.types.forEach(function (t) { types[t.name] = t; });
      history = [];
      crumbs();
      listTypes("");
    }).catch(function (e) {
      $("doc").textContent = "";
      $("doc").appendChild(el("div", "无法加载文档 Cannot load docs: " + e.message, "err"));
    });
  }

  function run() {
    var vars;
    try { vars = JSON.parse($("variables").value || "{}"); } catch (e) {
      $("status").textContent = "变量不是合法 JSON · Variables are not valid JSON";
      return;
    }
    sessionStorage.setItem("sanmian.graphql.query", $("query").value);
    sessionStorage.setItem("sanmian.graphql.variables", $("variables").value);
    $("status").textContent = "运行中 Running…";
    var t0 = performance.now();
    post({ query: $("query").value, variables: vars }).then(function (r) {
      $("result").textContent = JSON.stringify(r, null, 2);
      var n = r.errors ? r.errors.length : 0;
      $("status").textContent = Math.round(performance.now() - t0) + " ms" + (n ? " · " + n + " 个错误 error(s)" : "");
    }).catch(function (e) {
      $("status").textContent = "请求失败 Request failed: " + e.message;
    });
  }

  $("run").addEventListener("click", run);
  $("reload").addEventListener("click", loadDocs);
  $("filter").addEventListener("input", function () {
    if (schema) { history = []; crumbs(); listTypes($("filter").value.trim().toLowerCase()); }
  });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); run(); }
  });
  loadDocs();
})();
