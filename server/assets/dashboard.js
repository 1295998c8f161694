// The Staging Dashboard's only script: refreshes the slot table in place, and sends claims and
// releases to the API with the admin token typed on the page. The token stays in this tab.
"use strict";
(function () {
    var REFRESH_MS = 15000;
    var $ = function (selector) {
        return document.querySelector(selector);
    };

    function headers(extra) {
        var out = Object.assign({}, extra || {});
        var token = $("#token").value.trim();
        if (token) out.Authorization = "Bearer " + token;
        return out;
    }

    function show(kind, text, url) {
        var result = $("#result");
        result.className = kind;
        result.textContent = text;
        if (url) {
            var link = document.createElement("a");
            link.id = "pull-request-link";
            link.href = url;
            link.textContent = url;
            result.append(" ", link);
        }
    }

    function refresh() {
        return fetch("/staging/slots", { headers: headers(), cache: "no-store" })
            .then(function (res) {
                return res.ok ? res.text() : undefined;
            })
            .then(function (html) {
                if (html !== undefined) $("#slots").innerHTML = html;
            })
            .catch(function () {
                // The next refresh tries again; the table on the page stays as it was.
            });
    }

    function send(method, url, body) {
        if (!$("#token").value.trim()) {
            show("error", "Paste an admin token first (Admin token, above the form).");
            return Promise.resolve();
        }
        show("busy", "Opening the pull request…");
        var init = { method: method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
        if (body !== undefined) init.body = JSON.stringify(body);
        return fetch(url, init).then(function (res) {
            return res
                .json()
                .catch(function () {
                    return { error: res.status + " " + res.statusText };
                })
                .then(function (data) {
                    if (res.status === 202) {
                        show("ok", data.message.split(": pull request ")[0] + ". Pull request:", data.pull_request_url);
                        return refresh();
                    }
                    // 200: nothing to change (a release of a slot that is no longer claimed).
                    if (res.ok) {
                        show("ok", data.message);
                        return refresh();
                    }
                    show("error", data.error || res.status + " " + res.statusText);
                    return undefined;
                });
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        $("#claim-form").addEventListener("submit", function (event) {
            event.preventDefault();
            var form = new FormData(event.target);
            var body = {};
            ["owner", "task", "branch", "commit_sha", "purpose", "pool"].forEach(function (name) {
                var value = String(form.get(name) || "").trim();
                if (value) body[name] = value;
            });
            var slot = String(form.get("slot_id") || "");
            if (slot) body.slot_id = Number(slot);
            if (form.get("wait")) body.wait = true;
            send("PUT", "/api/staging/slots", body);
        });
        $("#slots").addEventListener("click", function (event) {
            var button = event.target.closest("button.release");
            if (!button) return;
            var id = button.getAttribute("data-slot");
            if (window.confirm("Open a pull request that releases staging-" + id + "?")) send("POST", "/api/staging/slots/" + id + "/release");
        });
        $("#token").addEventListener("change", refresh);
        setInterval(refresh, REFRESH_MS);
    });
})();
