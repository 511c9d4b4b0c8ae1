# Varnish in front of Newsroom (Varnish 7 with varnish-modules for xkey).
#
# Django says what may be shared: reader pages come with
# `Cache-Control: public, max-age=…, s-maxage=…` and the surrogate keys of
# what they show in `Surrogate-Key`; everything else is private. On a public
# change Newsroom sends `PURGE /` with the keys in `xkey-purge`
# (FRONTEND_CACHE_URL=varnish://127.0.0.1:6081), and xkey drops exactly the
# pages carrying any of them.
vcl 4.1;

import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

# Who may purge: the web and task processes.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "No xkey-purge header"));
        }
        set req.http.purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.purged));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Never shared, whatever they answer: the admin, previews, forms.
    if (req.url ~ "^/(admin|_nested_admin|preview|newsletter)/") {
        return (pass);
    }
    # Reader pages are the same for everyone: a cookie changes nothing on
    # them (Django marks any response that sets or reads one private).
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # xkey reads its keys from the xkey header.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
}

sub vcl_deliver {
    # Keys are for caches, not browsers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
}
