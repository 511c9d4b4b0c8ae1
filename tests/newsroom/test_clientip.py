import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, SimpleTestCase, override_settings

from newsroom.clientip import client_ip, rate_key


def request(remote="203.0.113.7", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


class ClientIpWithoutProxiesTests(SimpleTestCase):
    def test_it_returns_the_peer_address(self):
        self.assertEqual(client_ip(request("198.51.100.4")), "198.51.100.4")

    def test_it_ignores_a_forwarded_header_when_no_proxy_is_trusted(self):
        r = request("198.51.100.4", forwarded="1.2.3.4")
        self.assertEqual(client_ip(r), "198.51.100.4")

    def test_it_normalises_ipv6_and_mapped_ipv4(self):
        self.assertEqual(client_ip(request("2001:DB8:0:0::1")), "2001:db8::1")
        self.assertEqual(client_ip(request("::ffff:192.0.2.9")), "192.0.2.9")

    def test_it_never_returns_an_empty_string(self):
        self.assertEqual(client_ip(request("")), "0.0.0.0")
        self.assertEqual(client_ip(request("not an address")), "0.0.0.0")


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
class ClientIpBehindTrustedProxiesTests(SimpleTestCase):
    def test_it_takes_the_client_from_the_header_when_the_peer_is_a_proxy(self):
        r = request("10.0.0.2", forwarded="198.51.100.4")
        self.assertEqual(client_ip(r), "198.51.100.4")

    def test_it_takes_the_right_most_untrusted_hop(self):
        # The client wrote "6.6.6.6, 10.9.9.9" itself; our two proxies
        # appended the client's real address and the first proxy's.
        r = request("10.0.0.2", forwarded="6.6.6.6, 10.9.9.9, 198.51.100.4, 10.0.0.3")
        self.assertEqual(client_ip(r), "198.51.100.4")

    def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(self):
        r = request("198.51.100.4", forwarded="10.0.0.5, 1.2.3.4")
        self.assertEqual(client_ip(r), "198.51.100.4")

    def test_ports_and_brackets_in_hops_are_dropped(self):
        r = request("127.0.0.1", forwarded="[2001:db8::7]:443")
        self.assertEqual(client_ip(r), "2001:db8::7")
        r = request("127.0.0.1", forwarded="198.51.100.4:5123")
        self.assertEqual(client_ip(r), "198.51.100.4")

    def test_garbage_in_the_header_stops_at_the_last_trusted_hop(self):
        r = request("10.0.0.2", forwarded="198.51.100.4, <script>")
        self.assertEqual(client_ip(r), "10.0.0.2")

    def test_an_empty_header_leaves_the_proxy_address(self):
        self.assertEqual(client_ip(request("10.0.0.2", forwarded="")), "10.0.0.2")

    def test_a_chain_of_only_trusted_hops_gives_the_left_most(self):
        r = request("10.0.0.2", forwarded="10.1.1.1, 10.0.0.3")
        self.assertEqual(client_ip(r), "10.1.1.1")


class TrustedProxiesSettingTests(SimpleTestCase):
    @override_settings(TRUSTED_PROXIES=["10.0.0.0/33"])
    def test_an_invalid_entry_is_a_configuration_error(self):
        with pytest.raises(ImproperlyConfigured, match="10.0.0.0/33"):
            client_ip(request("10.0.0.2", forwarded="1.2.3.4"))


class RateKeyTests(SimpleTestCase):
    def test_ipv4_is_counted_per_address(self):
        self.assertEqual(rate_key("198.51.100.4"), "198.51.100.4")

    def test_ipv6_is_counted_per_64_network(self):
        self.assertEqual(rate_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
        self.assertEqual(rate_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64")
