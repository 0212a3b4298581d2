using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.CardAuth.Jpki;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A My Number card at clinic reception, at intake: the certificate read after the PIN and the card's signature of the
/// tap are checked against the JPKI roots and CRL; anything wrong is rejected with its reason, and nothing of the
/// certificate or the signature stays in the cloud.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class JpkiIntakeTests : IDisposable
{
    private const string Clinic = "CLN01";
    private static readonly byte[] SerialA = Convert.FromHexString("5A3C0F1E2D4B6879");
    private static readonly byte[] SerialB = Convert.FromHexString("0C8F3A21");
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.FromHours(9));

    private readonly string _dir = TestKit.TempDir();
    private readonly string _rootsFile;
    private readonly string _crlFile;
    private readonly string _registryPath;
    private readonly CityRegistry _registry;
    private readonly JpkiTestAuthority _ca = JpkiTestAuthority.Create(Now.AddYears(-2));
    private readonly JpkiUserCredential _cardA;
    private readonly JpkiUserCredential _cardB;
    private readonly FakeTimeProvider _time = new(Now.AddMinutes(10));
    private readonly CapturedLog _log;
    private readonly ILoggerFactory _loggers;
    private readonly JpkiTrust _trust;
    private readonly IngestMetrics _metrics;
    private readonly LiteDbIngestStore _store;
    private readonly IngestPipeline _pipeline;
    private bool _storeClosed;

    public JpkiIntakeTests()
    {
        // The sample registry with a My Number card each for P0001 and P0002.
        JsonNode doc = JsonNode.Parse(File.ReadAllText(SharedFixtures.RegistryPath))!;
        doc["cards"]!.AsArray().Add(new JsonObject { ["uid"] = Convert.ToHexString(SerialA), ["tech"] = "jpki", ["pid"] = "P0001" });
        doc["cards"]!.AsArray().Add(new JsonObject { ["uid"] = Convert.ToHexString(SerialB), ["tech"] = "jpki", ["pid"] = "P0002" });
        _registryPath = Path.Combine(_dir, "registry.json");
        File.WriteAllText(_registryPath, doc.ToJsonString());
        _registry = RegistryLoader.Load(_registryPath);

        _cardA = _ca.IssueUserAuthentication(SerialA, Now.AddYears(-1), Now.AddYears(4));
        _cardB = _ca.IssueUserAuthentication(SerialB, Now.AddYears(-1), Now.AddYears(4));
        _rootsFile = Path.Combine(_dir, "jpki-roots.pem");
        File.WriteAllText(_rootsFile, _ca.RootPem);
        _crlFile = Path.Combine(_dir, "jpki.crl");
        WriteCrl([], nextUpdate: Now.AddDays(2), number: 1);

        (_loggers, _log) = CapturedLog.Create();
        _trust = JpkiTrust.Create(_rootsFile, _crlFile, _time, _loggers.CreateLogger("jpki"));
        _metrics = new IngestMetrics(_time);
        _metrics.ObserveJpkiCrl(_trust);
        _store = new LiteDbIngestStore(Path.Combine(_dir, "store"));
        _pipeline = new IngestPipeline(_registry, _store, _time, _metrics, _loggers.CreateLogger("ingest"),
            cardReads: CardReadVerifier.Create(_registry, keyFile: null, _trust));
    }

    [Fact]
    public void A_check_in_with_the_cards_certificate_and_signature_is_applied_with_the_patient_number()
    {
        Ack ack = Send(Checkin(1, Now, _cardA, SerialA));

        Assert.Equal(ResultStatus.Applied, ack.Results[0].Status);
        Assert.Equal(SectorId.Compute(_registry.LinkKey, "P0001", "clinic:C01"), ack.Results[0].PatientNo);
        Assert.Equal(0, _store.QuarantineCount());
    }

    [Fact]
    public void A_check_in_whose_unit_the_store_runs_again_is_applied_once_as_the_first_run_would_have()
    {
        // The store may roll a unit back and run it again (PostgreSQL after a deadlock): the second run must find the
        // card's certificate and signature as the device sent them, not as the first run left them.
        using var store = new LiteDbIngestStore(Path.Combine(_dir, "retried"));
        IIngestStore twice = InterceptedUnits.Around(store, out InterceptedUnits runs);
        runs.RunTwice = true;
        var pipeline = new IngestPipeline(_registry, twice, _time, _metrics, _loggers.CreateLogger("ingest"),
            cardReads: CardReadVerifier.Create(_registry, keyFile: null, _trust));

        Ack ack = Send(pipeline, Checkin(1, Now, _cardA, SerialA));

        Assert.True(runs.Retried > 0);
        Assert.Equal(ResultStatus.Applied, ack.Results[0].Status);
        Assert.Equal(SectorId.Compute(_registry.LinkKey, "P0001", "clinic:C01"), ack.Results[0].PatientNo);
        Assert.Equal(0, store.QuarantineCount());
        Assert.Equal(ResultStatus.Duplicate, Send(pipeline, Checkin(1, Now, _cardA, SerialA)).Results[0].Status);
    }

    [Fact]
    public void A_signature_that_does_not_cover_this_tap_is_rejected()
    {
        // A signature the card made for another tap (a replayed proof) does not cover this seq and at.
        JsonObject tap = Checkin(2, Now, _cardA, SerialA);
        tap["card"]!["jpki"]!["sig"] = Checkin(1, Now, _cardA, SerialA)["card"]!["jpki"]!["sig"]!.GetValue<string>();

        AssertRejected(Send(tap), "card.jpki.sig: does not verify", nameof(CardReadProblem.JpkiBadSignature));
    }

    [Fact]
    public void The_signature_covers_the_at_text_byte_for_byte()
    {
        // The same instant written another way is another message: the card signed what the event carries.
        JsonObject tap = Checkin(1, Now, _cardA, SerialA);
        tap["at"] = Now.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

        AssertRejected(Send(tap), "card.jpki.sig", nameof(CardReadProblem.JpkiBadSignature));
    }

    [Fact]
    public void Another_cards_certificate_does_not_give_the_events_token()
    {
        // P0002's card signed properly, but the event names P0001's card.
        AssertRejected(Send(Checkin(1, Now, _cardB, SerialA)), "card.jpki.cert: its serial is not the serial of the card behind card.tok", nameof(CardReadProblem.JpkiTokenMismatch));
    }

    [Fact]
    public void A_certificate_from_a_ca_outside_the_roots_is_rejected()
    {
        using var other = JpkiTestAuthority.Create(Now.AddYears(-2), "Someone else's CA");
        using JpkiUserCredential forged = other.IssueUserAuthentication(SerialA, Now.AddYears(-1), Now.AddYears(4));

        AssertRejected(Send(Checkin(1, Now, forged, SerialA)), "card.jpki.cert: does not chain to a root of --jpki-roots", nameof(CardReadProblem.JpkiUntrusted));
    }

    [Fact]
    public void A_certificate_expired_at_the_taps_time_is_rejected()
    {
        using JpkiUserCredential expired = _ca.IssueUserAuthentication(SerialA, Now.AddYears(-5), Now.AddDays(-1));

        AssertRejected(Send(Checkin(1, Now, expired, SerialA)), "card.jpki.cert: expired at the tap's time", nameof(CardReadProblem.JpkiExpired));
    }

    [Fact]
    public void A_certificate_revoked_before_the_tap_is_rejected_and_one_revoked_after_it_is_accepted()
    {
        WriteCrl([(SerialA, Now.AddHours(-1)), (SerialB, Now.AddMinutes(5))], nextUpdate: Now.AddDays(2), number: 2);
        Assert.True(_trust.ReloadIfChanged());

        AssertRejected(Send(Checkin(1, Now, _cardA, SerialA)), "card.jpki.cert: revoked at", nameof(CardReadProblem.JpkiRevoked));
        // P0002's card was revoked five minutes after this tap: the tap stands.
        Assert.Equal(ResultStatus.Applied, Send(Checkin(2, Now, _cardB, SerialB)).Results[0].Status);
    }

    [Fact]
    public void A_certificate_of_another_root_than_the_crls_is_refused_for_want_of_its_crl()
    {
        // Two roots are trusted, but the CRL is the first one's: the second's cards cannot be checked for revocation.
        using var second = JpkiTestAuthority.Create(Now.AddYears(-2), "Second JPKI CA");
        using JpkiUserCredential card = second.IssueUserAuthentication(SerialA, Now.AddYears(-1), Now.AddYears(4));
        string roots = Path.Combine(_dir, "two-roots.pem");
        File.WriteAllText(roots, _ca.RootPem + "\n" + second.RootPem + "\n");
        using JpkiTrust trust = JpkiTrust.Create(roots, _crlFile, _time, NullLogger.Instance);
        using var store = new LiteDbIngestStore(Path.Combine(_dir, "store-two-roots"));
        var pipeline = new IngestPipeline(_registry, store, _time, new IngestMetrics(_time), NullLogger.Instance,
            cardReads: CardReadVerifier.Create(_registry, keyFile: null, trust));

        Assert.Equal(ResultStatus.Applied, Send(pipeline, Checkin(1, Now, _cardA, SerialA)).Results[0].Status);
        Ack ack = Send(pipeline, Checkin(2, Now, card, SerialA));
        Assert.Equal(ResultStatus.Rejected, ack.Results[0].Status);
        Assert.StartsWith("card.jpki: no CRL of the certificate's issuer", ack.Results[0].Reason);
    }

    [Fact]
    public void A_crl_past_its_next_update_fails_closed()
    {
        WriteCrl([], nextUpdate: Now.AddMinutes(1), number: 2);
        Assert.True(_trust.ReloadIfChanged());

        AssertRejected(Send(Checkin(1, Now, _cardA, SerialA)), "card.jpki: the CRL is past its next update", nameof(CardReadProblem.JpkiRevocationUnknown));
        Assert.Equal(JpkiCrlState.Outdated, _trust.StateAt(_time.GetUtcNow()));
    }

    [Fact]
    public void The_crl_is_read_again_when_its_file_changes_and_a_bad_copy_keeps_the_last_good_one()
    {
        Assert.Equal(ResultStatus.Applied, Send(Checkin(1, Now, _cardA, SerialA)).Results[0].Status);

        // The city revokes the card; the new CRL is in force once the poll sees the file changed.
        WriteCrl([(SerialA, Now.AddMinutes(2))], nextUpdate: Now.AddDays(2), number: 2);
        _time.Advance(JpkiTrust.PollInterval);
        AssertRejected(Send(Checkin(2, Now.AddMinutes(3), _cardA, SerialA)), "card.jpki.cert: revoked at", nameof(CardReadProblem.JpkiRevoked));

        // A truncated copy does not parse: logged, and the revocation stays in force.
        File.WriteAllBytes(_crlFile, [0x30, 0x82, 0x01]);
        File.SetLastWriteTimeUtc(_crlFile, DateTime.UtcNow.AddMinutes(1));
        _time.Advance(JpkiTrust.PollInterval);
        Assert.Contains("JPKI CRL not reloaded", _log.Text, StringComparison.Ordinal);
        Assert.Equal(2, (int)_trust.Crl!.Number!.Value);
        AssertRejected(Send(Checkin(3, Now.AddMinutes(4), _cardA, SerialA)), "card.jpki.cert: revoked at", nameof(CardReadProblem.JpkiRevoked));
    }

    [Fact]
    public void A_my_number_tap_without_card_jpki_is_rejected()
    {
        JsonObject tap = Checkin(1, Now, _cardA, SerialA);
        ((JsonObject)tap["card"]!).Remove("jpki");

        AssertRejected(Send(tap), "card.jpki: missing", nameof(CardReadProblem.JpkiMissing));
    }

    [Fact]
    public void Without_jpki_roots_my_number_cards_are_refused_and_the_start_warns()
    {
        (ILoggerFactory loggers, CapturedLog log) = CapturedLog.Create();
        using JpkiTrust none = JpkiTrust.Create(null, null, _time, loggers.CreateLogger("jpki"));
        using var store = new LiteDbIngestStore(Path.Combine(_dir, "store-none"));
        var pipeline = new IngestPipeline(_registry, store, _time, new IngestMetrics(_time), NullLogger.Instance,
            cardReads: CardReadVerifier.Create(_registry, keyFile: null, none));

        Ack ack = Send(pipeline, Checkin(1, Now, _cardA, SerialA));

        Assert.Equal(ResultStatus.Rejected, ack.Results[0].Status);
        Assert.Equal("card.jpki: this ingest has no JPKI roots (--jpki-roots): My Number cards are refused", ack.Results[0].Reason);
        Assert.Contains("No --jpki-roots and --jpki-crl: taps of My Number cards (tech jpki) are refused", log.Text, StringComparison.Ordinal);
        Assert.Equal(JpkiCrlState.NotConfigured, none.StateAt(_time.GetUtcNow()));
    }

    [Fact]
    public void Nothing_of_the_certificate_or_the_signature_is_kept_in_the_store_the_quarantine_or_the_logs()
    {
        JsonObject good = Checkin(1, Now, _cardA, SerialA);
        JsonObject badSignature = Checkin(2, Now, _cardA, SerialA);
        badSignature["card"]!["jpki"]!["sig"] = good["card"]!["jpki"]!["sig"]!.GetValue<string>();
        JsonObject unknownType = Checkin(3, Now, _cardA, SerialA);
        unknownType["type"] = "clinic_nonsense";
        string certificate = good["card"]!["jpki"]!["cert"]!.GetValue<string>();
        var signatures = new[] { good, badSignature, unknownType }.Select(t => t["card"]!["jpki"]!["sig"]!.GetValue<string>()).ToList();

        Ack ack = Send(good, badSignature, unknownType);
        Assert.Equal(new[] { ResultStatus.Applied, ResultStatus.Rejected, ResultStatus.Rejected }, ack.Results.Select(r => r.Status));

        // A whole batch refused (a wrong MAC) is quarantined as it came, but for the proofs.
        byte[] payload = TestKit.Batch(Clinic, Checkin(4, Now, _cardA, SerialA));
        Assert.True(_pipeline.ProcessBatch(TestKit.Topic(Clinic), payload, TestKit.Mac("BUS0042", payload)).IsRejected);
        Assert.Equal(3, _store.QuarantineCount());
        Assert.All(_store.Quarantine(10), q => Assert.Contains("\"jpki\":\"redacted\"", Encoding.UTF8.GetString(_store.QuarantinePayload(q.Id)!), StringComparison.Ordinal));

        // What is kept of the applied tap: the issuer, the validity and the certificate's hash.
        TapRecord kept = _store.Write(w => w.TapsOfPerson("P0001", DateTimeOffset.MinValue)).Single();
        Assert.Null(kept.Event.Card!.Jpki);
        Assert.Equal(_ca.Root.Subject, kept.Jpki!.Issuer);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_cardA.CertificateDer)), kept.Jpki.CertificateSha256);
        Assert.Equal(Now.AddYears(4).UtcDateTime, kept.Jpki.NotAfter.UtcDateTime, TimeSpan.FromSeconds(1));

        _store.Dispose();
        _storeClosed = true;
        byte[][] secrets =
        [
            Encoding.UTF8.GetBytes(certificate),
            _cardA.CertificateDer,
            .. signatures.Select(Encoding.UTF8.GetBytes),
            .. signatures.Select(Convert.FromBase64String),
        ];
        foreach (string file in Directory.EnumerateFiles(Path.Combine(_dir, "store"), "*", SearchOption.AllDirectories))
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.All(secrets, s => Assert.True(bytes.AsSpan().IndexOf(s) < 0, $"{file} holds a certificate or a signature"));
        }

        Assert.DoesNotContain(certificate, _log.Text, StringComparison.Ordinal);
        Assert.All(signatures, s => Assert.DoesNotContain(s, _log.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void The_metrics_and_the_log_warn_a_day_before_the_crls_next_update_and_refusals_are_counted_by_code()
    {
        Assert.Equal(0, Gauge<int>("maebashi_ingest_jpki_crl_expiring"));
        Assert.Equal((Now.AddDays(2) - _time.GetUtcNow()).TotalSeconds, Gauge<double>("maebashi_ingest_jpki_crl_next_update_seconds"));

        _time.Advance(TimeSpan.FromDays(1) + JpkiTrust.PollInterval);
        Assert.Equal(JpkiCrlState.ExpiresSoon, _trust.StateAt(_time.GetUtcNow()));
        Assert.Equal(1, Gauge<int>("maebashi_ingest_jpki_crl_expiring"));
        Assert.Contains("reaches its next update", _log.Text, StringComparison.Ordinal);

        JsonObject tap = Checkin(1, _time.GetUtcNow(), _cardA, SerialA);
        ((JsonObject)tap["card"]!).Remove("jpki");
        Send(tap);
        Assert.Equal(1, Counter("maebashi_ingest_card_reads_refused_total", nameof(CardReadProblem.JpkiMissing)));
    }

    [Fact]
    public async Task The_reception_queue_shows_a_verified_my_number_check_in_and_the_console_warns_a_day_before_the_crls_next_update()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(_time, registry: _registryPath, jpkiRoots: _rootsFile, jpkiCrl: _crlFile);
        Assert.Equal(ResultStatus.Applied, Send(ingest.Host.Pipeline, Checkin(1, Now, _cardA, SerialA)).Results[0].Status);

        using var clerk = new ConsoleClient(ingest);
        Assert.Equal(302, (await clerk.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword)).Status);
        ConsoleClient.Page queue = await clerk.GetAsync("/console/clinics/C01/queue?date=2026-11-30");
        Assert.Contains("data-my-number=\"verified\">マイナンバーカード（電子証明書・暗証番号で確認） / My Number card (certificate and PIN verified)", queue.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"jpki-crl\"", (await clerk.GetAsync("/console/")).Body, StringComparison.Ordinal);

        // A day later (the clerk's session has long ended: sign in again).
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
        using var later = new ConsoleClient(ingest);
        Assert.Equal(302, (await later.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword)).Status);
        string fleet = (await later.GetAsync("/console/")).Body;
        Assert.Contains("id=\"jpki-crl\" data-state=\"expiressoon\"", fleet, StringComparison.Ordinal);
        Assert.Contains("マイナンバーカードの失効リスト（CRL）は 2026-12-02 10:00:00 に次回更新の期限を迎えます", fleet, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_jpki_crl_expiring 1", (await ingest.Get("/metrics", null)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ingest_will_not_start_with_a_jpki_file_it_cannot_use_and_names_the_file()
    {
        string data = Path.Combine(_dir, "d");
        string notPem = Path.Combine(_dir, "not-roots.pem");
        await File.WriteAllTextAsync(notPem, "not a certificate");
        (int exit, _, string err) = await EdgeCli.RunAsync(["ingest", "run", "--registry", _registryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--jpki-roots", notPem, "--jpki-crl", _crlFile]);
        Assert.Equal(2, exit);
        Assert.Contains($"{notPem}: no PEM certificate", err, StringComparison.Ordinal);

        // A CRL signed by someone else's CA is not this city's word on revocations.
        using var other = JpkiTestAuthority.Create(Now.AddYears(-2), "Someone else's CA");
        string foreignCrl = Path.Combine(_dir, "foreign.crl");
        await File.WriteAllBytesAsync(foreignCrl, other.CreateCrl([], Now, Now.AddDays(2)));
        (int exit2, _, string err2) = await EdgeCli.RunAsync(["ingest", "run", "--registry", _registryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--jpki-roots", _rootsFile, "--jpki-crl", foreignCrl]);
        Assert.Equal(2, exit2);
        Assert.Contains($"{foreignCrl}: issued by", err2, StringComparison.Ordinal);
        Assert.Contains("which is not a root of --jpki-roots", err2, StringComparison.Ordinal);

        (int exit3, _, string err3) = await EdgeCli.RunAsync(["ingest", "run", "--registry", _registryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--jpki-roots", _rootsFile]);
        Assert.Equal(2, exit3);
        Assert.Contains("--jpki-roots, --jpki-crl): give both or neither", err3, StringComparison.Ordinal);
    }

    private T Gauge<T>(string name)
        where T : struct => Measure<T>(name, code: null);

    private long Counter(string name, string code) => Measure<long>(name, code);

    /// <summary>The instrument's measurement as a scrape would read it (for a counter, the one with this code).</summary>
    private T Measure<T>(string name, string? code)
        where T : struct
    {
        T? value = null;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter) && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<T>((_, v, tags, _) =>
        {
            if (code is null || tags.ToArray().Any(t => t.Key == "code" && (string?)t.Value == code))
            {
                value = v;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value ?? throw new Xunit.Sdk.XunitException($"{name} was not measured");
    }

    private void AssertRejected(Ack ack, string reason, string code)
    {
        Assert.Equal(ResultStatus.Rejected, ack.Results[^1].Status);
        Assert.StartsWith(reason, ack.Results[^1].Reason);
        Assert.Contains(_store.Quarantine(10), q => q.Code == code && q.Reason == ack.Results[^1].Reason);
    }

    private void WriteCrl(IEnumerable<(byte[] Serial, DateTimeOffset RevokedAt)> revoked, DateTimeOffset nextUpdate, long number)
    {
        File.WriteAllBytes(_crlFile, _ca.CreateCrl(revoked, Now.AddHours(-2), nextUpdate, number));
        // Each new CRL gets its own time stamp, as a copy onto the server would.
        File.SetLastWriteTimeUtc(_crlFile, DateTime.UtcNow.AddSeconds(number));
    }

    private Ack Send(params JsonObject[] events) => Send(_pipeline, events);

    private static Ack Send(IngestPipeline pipeline, params JsonObject[] events)
    {
        byte[] payload = TestKit.Batch(Clinic, events);
        BatchOutcome o = pipeline.ProcessBatch(TestKit.Topic(Clinic), payload, TestKit.Mac(Clinic, payload));
        Assert.False(o.IsRejected, o.RejectedReason);
        return o.Ack!;
    }

    /// <summary>A reception check-in naming the card of <paramref name="tokenSerial"/>, with <paramref name="card"/>'s certificate and its signature of the tap.</summary>
    private JsonObject Checkin(ulong seq, DateTimeOffset at, JpkiUserCredential card, byte[] tokenSerial)
    {
        string atText = TestKit.At(at);
        byte[] signature = card.PrivateKey.SignData(CardJpki.SignedMessage(Clinic, seq, atText), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new JsonObject
        {
            ["seq"] = seq,
            ["type"] = "clinic_checkin",
            ["at"] = atText,
            ["card"] = new JsonObject
            {
                ["tok"] = _registry.TokenFor(CardTech.Jpki, Convert.ToHexString(tokenSerial)),
                ["tech"] = "jpki",
                ["jpki"] = new JsonObject { ["cert"] = Convert.ToBase64String(card.CertificateDer), ["sig"] = Convert.ToBase64String(signature) },
            },
            ["ctx"] = new JsonObject { ["clinic"] = "C01", ["queue"] = (int)seq },
            ["decision"] = "accept",
        };
    }

    public void Dispose()
    {
        if (!_storeClosed)
        {
            _store.Dispose();
        }

        _trust.Dispose();
        _metrics.Dispose();
        _loggers.Dispose();
        _cardA.Dispose();
        _cardB.Dispose();
        _ca.Dispose();
    }
}
