using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Validation;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Readers;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.PinEntry;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using CardRead = Maebashi.Edge.Terminal.Taps.CardRead;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// A patient's My Number card at clinic reception: the PIN typed on the emulated 4×3 keypad (scanned by the real
/// KeyMatrix), the emulated card's PIN counter and signature through the real PN532 driver, the check-in's event
/// signed over <c>{device}|{seq}|{at}</c> as the ingest reads the batch, and the certificate and signature kept only
/// until the ingest acknowledges the tap.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class MyNumberCheckInTests : IDisposable
{
    private const string Pin = "4321";
    private const string SerialHex = "0C8F3A21";
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.FromHours(9));
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly JpkiTestAuthority _ca = JpkiTestAuthority.Create(Start.AddYears(-1));
    private readonly JpkiUserCredential _user;

    public MyNumberCheckInTests()
    {
        _user = _ca.IssueUserAuthentication(Convert.FromHexString(SerialHex), Start.AddYears(-1), Start.AddYears(4));
    }

    [Fact]
    public async Task The_right_pin_checks_in_and_the_event_carries_a_signature_over_device_seq_and_at_as_the_batch_carries_it()
    {
        using var desk = new Reception(_user);
        CardRead read = desk.Tap();
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(read).AsTask();
        await desk.WhenShown("残り3回 / 3 tries left");
        // A slip, cleared with *, then the PIN and #.
        await desk.Keys!.TypeAsync("9*" + Pin + "#").WaitAsync(Patience);
        TapOutcome outcome = await tap.WaitAsync(Patience);

        Assert.Equal(Verdict.Accept, outcome.Verdict);
        Assert.Equal("受付番号 1番 / Queue No. 1", outcome.Display);
        Assert.Contains(desk.Lines(), l => l.StartsWith(MyNumberPinFlow.PromptLine, StringComparison.Ordinal));
        TapEvent stored = Assert.Single(desk.Ledger.Read([outcome.Seq!.Value]));
        Assert.Equal(TestSite.Token(CardTech.Jpki, SerialHex), stored.Card!.Tok);
        Assert.Equal(Convert.ToBase64String(_user.CertificateDer), stored.Card.Jpki!.Cert);

        // As the ingest reads it: the batch the uplink publishes, and the at text the batch carried.
        byte[] payload = ContractJson.Serialize(new EventBatch { Device = "CLN01", Events = [stored] });
        BatchReadResult batch = BatchReader.Read("CLN01", payload, Start.AddMinutes(1));
        TapEvent wire = Assert.Single(batch.Events).Event!;
        Assert.Equal(ContractJson.AtText(stored.At), wire.AtText);
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(wire.Card!.Jpki!.Cert));
        using RSA key = cert.GetRSAPublicKey()!;
        Assert.True(key.VerifyData(CardJpki.SignedMessage("CLN01", wire.Seq, wire.AtText!), Convert.FromBase64String(wire.Card.Jpki.Sig),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(1, desk.Card.Signatures);
    }

    [Fact]
    public async Task A_wrong_pin_shows_the_tries_left_and_records_nothing_then_the_right_pin_checks_in()
    {
        using var desk = new Reception(_user);
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(desk.Tap()).AsTask();
        await desk.WhenShown("残り3回");
        await desk.Keys!.TypeAsync("1111#").WaitAsync(Patience);
        await desk.WhenShown("暗証番号が違います 残り2回 / Wrong PIN: 2 tries left");
        Assert.Equal(0, desk.Ledger.Entries);
        Assert.Equal(2, desk.Card.PinTriesLeft);
        Assert.False(tap.IsCompleted);

        await desk.Keys.TypeAsync(Pin + "#").WaitAsync(Patience);
        TapOutcome outcome = await tap.WaitAsync(Patience);
        Assert.Equal(Verdict.Accept, outcome.Verdict);
        Assert.Equal(1, desk.Ledger.Entries);
        Assert.Equal(3, desk.Card.PinTriesLeft);
    }

    [Fact]
    public async Task The_third_wrong_pin_locks_the_card_and_sends_the_patient_to_the_city_office()
    {
        using var desk = new Reception(_user);
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(desk.Tap()).AsTask();
        await desk.WhenShown("残り3回");
        await desk.Keys!.TypeAsync("1111#").WaitAsync(Patience);
        await desk.WhenShown("残り2回");
        await desk.Keys.TypeAsync("2222#").WaitAsync(Patience);
        await desk.WhenShown("残り1回");
        await desk.Keys.TypeAsync("3333#").WaitAsync(Patience);
        TapOutcome outcome = await tap.WaitAsync(Patience);

        Assert.Equal(Verdict.Refused, outcome.Verdict);
        Assert.False(outcome.Green);
        Assert.Equal("暗証番号がロックされています 市区町村窓口で再設定 / PIN locked: reset it at your city office", outcome.Display);
        Assert.Equal(0, desk.Card.PinTriesLeft);
        Assert.Equal(0, desk.Ledger.Entries);

        // Tapped again: the lock is said at once, no PIN asked.
        int prompts = desk.Lines().Count(l => l.StartsWith(MyNumberPinFlow.PromptLine, StringComparison.Ordinal));
        TapOutcome again = await desk.Pipeline.TapAsync(desk.Retap()).AsTask().WaitAsync(Patience);
        Assert.Equal(MyNumberPinFlow.LockedLine, again.Display);
        Assert.Equal(prompts, desk.Lines().Count(l => l.StartsWith(MyNumberPinFlow.PromptLine, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_key_within_the_time_out_ends_the_entry_with_nothing_recorded()
    {
        using var desk = new Reception(_user);
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(desk.Tap()).AsTask();
        await desk.WhenShown("残り3回");
        desk.Time.Advance(desk.Site.Options.Keypad.KeyTimeout);
        TapOutcome outcome = await tap.WaitAsync(Patience);

        Assert.Equal(MyNumberPinFlow.TimedOutLine, outcome.Display);
        Assert.Equal(Verdict.Refused, outcome.Verdict);
        Assert.Equal(0, desk.Ledger.Entries);
        Assert.Equal(3, desk.Card.PinTriesLeft);
    }

    [Fact]
    public async Task A_terminal_without_a_keypad_turns_a_my_number_card_away_with_a_clear_line()
    {
        using var desk = new Reception(_user, keypad: false);
        TapOutcome outcome = await desk.Pipeline.TapAsync(desk.Tap()).AsTask().WaitAsync(Patience);
        Assert.Equal(Verdict.Refused, outcome.Verdict);
        Assert.Equal("この端末では暗証番号を入力できません 受付窓口へ / This terminal cannot take a My Number PIN — please see reception", outcome.Display);
        Assert.Equal(0, desk.Ledger.Entries);
        Assert.Equal(3, desk.Card.PinTriesLeft);

        // A serial typed in (the control socket's tap) cannot check in either: there is no card to sign.
        TapOutcome injected = desk.Pipeline.Tap(new CardRead(CardTech.Jpki, Convert.FromHexString(SerialHex), "reception"));
        Assert.Equal(Verdict.Refused, injected.Verdict);
    }

    [Fact]
    public async Task The_pin_is_in_no_log_line_display_line_ledger_entry_or_event()
    {
        using var desk = new Reception(_user);
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(desk.Tap()).AsTask();
        await desk.WhenShown("残り3回");
        await desk.Keys!.TypeAsync("7395#").WaitAsync(Patience);
        await desk.WhenShown("残り2回");
        await desk.Keys.TypeAsync(Pin + "#").WaitAsync(Patience);
        TapOutcome outcome = await tap.WaitAsync(Patience);
        Assert.Equal(Verdict.Accept, outcome.Verdict);

        LedgerRecord record = Assert.Single(desk.Ledger.Records(unackedOnly: false));
        TapEvent e = desk.Ledger.Read([outcome.Seq!.Value]).Single();
        e.Card!.Jpki = null; // base64 may hold any four digits by chance; the rest of the event may not
        string[] seen = [.. desk.Log.Lines, .. desk.Lines(), record.Json, TerminalJson.Serialize(e)];
        Assert.NotEmpty(desk.Log.Lines);
        foreach (string pin in new[] { Pin, "7395" })
        {
            Assert.All(seen, line => Assert.DoesNotContain(pin, line, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_certificate_and_signature_stay_only_until_the_ack_and_the_ledger_never_shows_them()
    {
        using var desk = new Reception(_user);
        Task<TapOutcome> tap = desk.Pipeline.TapAsync(desk.Tap()).AsTask();
        await desk.WhenShown("残り3回");
        await desk.Keys!.TypeAsync(Pin + "#").WaitAsync(Patience);
        ulong seq = (await tap.WaitAsync(Patience)).Seq!.Value;
        string cert = Convert.ToBase64String(_user.CertificateDer);
        string sig = desk.Ledger.Read([seq]).Single().Card!.Jpki!.Sig;

        // What ledger show/export print: the certificate's hash and that a signature is there.
        LedgerRecord shown = Assert.Single(desk.Ledger.Records(unackedOnly: true));
        Assert.DoesNotContain(cert, shown.Json, StringComparison.Ordinal);
        Assert.DoesNotContain(sig, shown.Json, StringComparison.Ordinal);
        Assert.Equal("sha256:" + Convert.ToHexString(SHA256.HashData(_user.CertificateDer)).ToLowerInvariant(), shown.Event.Card!.Jpki!.Cert);
        Assert.Equal("present", shown.Event.Card.Jpki.Sig);

        Assert.Equal(1, desk.Ledger.MarkAcked([seq]));
        TapEvent scrubbed = desk.Ledger.Read([seq]).Single();
        Assert.Null(scrubbed.Card!.Jpki);
        Assert.Equal(TestSite.Token(CardTech.Jpki, SerialHex), scrubbed.Card.Tok);
        Assert.Empty(desk.Ledger.Verify());

        // And after a restart.
        desk.Ledger.Dispose();
        using TapLedger reopened = TapLedger.Open(desk.Storage, desk.Site.Options.Ledger, desk.Time, background: static work => work());
        Assert.Null(reopened.Read([seq]).Single().Card!.Jpki);
        Assert.DoesNotContain("\"jpki\":", Assert.Single(reopened.Records(unackedOnly: false)).Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_socket_holds_a_personalised_card_and_types_its_pin_on_a_configured_terminal()
    {
        using var site = new TestSite(DeviceRoles.Clinic, "CLN01");
        site.Options.Readers = [new ReaderOptions { Name = "reception", Driver = "emulated:pn532-i2c" }];
        site.Options.Keypad = Reception.KeypadPins();
        TerminalParts parts = new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new Emulation.Feedback.EmulatedGpioDriver()) }.AddEmulation(_ca);
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, parts);
        Assert.Null(t.Cloud.ApplyConfig(Reception.ClinicConfig()));
        var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Ledger.Appended += () => recorded.TrySetResult();
        await t.StartAsync();

        IControlCommand place = parts.ControlCommands.Single(c => c.Verb == "mynumber");
        IControlCommand keys = parts.ControlCommands.Single(c => c.Verb == "keys");
        Assert.Equal("ok my number card on reception, 3 PIN tries left", await place.RunAsync(t, ["reception", "3F0011", Pin], CancellationToken.None));
        // Straight after: the command waits for the terminal's PIN prompt.
        Assert.Equal("ok 5 keys pressed", await keys.RunAsync(t, [Pin + "#"], CancellationToken.None));
        await recorded.Task.WaitAsync(Patience);

        LedgerRecord entry = Assert.Single(t.Ledger.Records(unackedOnly: false));
        Assert.Equal(TestSite.Token(CardTech.Jpki, "3F0011"), entry.Event.Card!.Tok);
        Assert.Equal("present", entry.Event.Card.Jpki!.Sig);
        Assert.StartsWith("error", await keys.RunAsync(t, ["12a4"], CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backlog_of_my_number_check_ins_goes_up_in_batches_under_256_KiB_and_their_proofs_go_with_the_ack()
    {
        using var site = new TestSite(DeviceRoles.Clinic, "CLN01");
        int port = LoopbackPorts.Free();
        site.Options.Broker.Port = port;
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new Emulation.Feedback.EmulatedGpioDriver()) });

        // A day's check-ins taken offline, as the PIN flow records them: about 2 KB each with certificate and signature.
        const int CheckIns = 200;
        var proof = new CardJpki { Cert = Convert.ToBase64String(_user.CertificateDer), Sig = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256)) };
        List<ulong> seqs = [];
        for (int i = 0; i < CheckIns; i++)
        {
            int n = i;
            seqs.Add(t.Ledger.Append(seq => new TapEvent
            {
                Seq = seq,
                Type = EventTypes.ClinicCheckin,
                At = Start.AddSeconds(n),
                Card = new CardRef { Tok = TestSite.Token(CardTech.Jpki, $"{n + 1:X6}"), Tech = "jpki", Jpki = proof },
                Ctx = new TapContext { Clinic = "C01", Queue = n + 1 },
                Decision = Decisions.Accept,
            }).Seq);
        }

        Assert.True(ContractJson.Serialize(new EventBatch { Device = "CLN01", Events = t.Ledger.Read(seqs) }).Length > 256 * 1024);
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Uplink.AckApplied += () =>
        {
            if (t.Ledger.Backlog == 0)
            {
                drained.TrySetResult();
            }
        };
        await using TestBroker broker = await TestBroker.StartAsync(port, new() { ["CLN01"] = TestSite.DeviceKey });
        await using TestIngest ingest = await TestIngest.StartAsync(port, TestSite.DeviceKey);
        await t.StartAsync();
        await drained.Task.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(CheckIns, ingest.Applied.Count);
        Assert.Equal(0, ingest.BadMacs);
        Assert.True(ingest.Batches.Count > 1);
        Assert.InRange(ingest.MaxPayloadBytes, 1, 256 * 1024);
        Assert.All(t.Ledger.Read(seqs), e => Assert.Null(e.Card!.Jpki));
    }

    [Fact]
    public void A_keypad_that_is_not_4_by_3_or_shares_a_pin_is_refused_at_start()
    {
        using var site = new TestSite(DeviceRoles.Clinic, "CLN01");
        site.Options.Keypad = new KeypadOptions { RowPins = [16, 19, 20], ColumnPins = [23, 26, 17] };
        List<string> problems = TerminalOptionsValidator.Check(site.Options);
        Assert.Contains("Keypad:RowPins and Keypad:ColumnPins: a 4×3 keypad has 4 row pins and 3 column pins, got 3 and 3", problems);
        Assert.Contains(problems, p => p.StartsWith("Keypad: its 7 pins must be different", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _user.Dispose();
        _ca.Dispose();
    }

    /// <summary>A clinic's reception: the pipeline with (or without) the keypad, and a PN532 with the patient's card on it.</summary>
    private sealed class Reception : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiting = [];
        private readonly EmulatedReaderRig _rig;
        private readonly CardReader _reader;
        private readonly MatrixKeypad? _keypad;
        private readonly TerminalFeedback _feedback;

        public Reception(JpkiUserCredential user, bool keypad = true)
        {
            Site = new TestSite(DeviceRoles.Clinic, "CLN01");
            Site.Options.Keypad = keypad ? KeypadPins() : new KeypadOptions();
            Time = new FakeTimeProvider(Start);
            Ledger = TapLedger.Open(Storage, Site.Options.Ledger, Time, background: static work => work());
            var cloud = new CloudState(null, "CLN01", DeviceRoles.Clinic, Time);
            Assert.Null(cloud.ApplyConfig(ClinicConfig()));
            var display = new TextDisplay();
            display.Shown += OnShown;
            _feedback = new TerminalFeedback(null, Site.Options.Feedback, display, Time);
            if (keypad)
            {
                Keys = new EmulatedKeypad(Site.Options.Keypad.RowPins, Site.Options.Keypad.ColumnPins);
                _keypad = new MatrixKeypad(Site.Options.Keypad, Keys.Gpio, Time, Log);
            }

            Pipeline = new TapPipeline(Site.Options, TestSite.RegionKey, Ledger, cloud, new VehicleState(), _feedback, Time, Log, _keypad);
            _rig = EmulatedReaderRig.Create("pn532-i2c");
            _reader = _rig.OpenReader(time: Time);
            Card = new MyNumberCard(user, Pin);
            _rig.Field.Place(Card);
        }

        public static KeypadOptions KeypadPins() => new() { RowPins = [16, 19, 20, 21], ColumnPins = [23, 26, 12] };

        public static byte[] ClinicConfig() =>
            ContractJson.Serialize(new DeviceConfig { Version = 1, Device = "CLN01", Role = DeviceRoles.Clinic, Clinic = new ClinicDef { Id = "C01" } });

        public TestSite Site { get; }
        public MemoryLedgerStorage Storage { get; } = new();
        public FakeTimeProvider Time { get; }
        public TapLedger Ledger { get; }
        public TapPipeline Pipeline { get; }
        public EmulatedKeypad? Keys { get; }
        public MyNumberCard Card { get; }
        public CapturingLogger Log { get; } = new();

        /// <summary>Polls the reader until it reports the card's tap; the read as the reader source hands it on.</summary>
        public CardRead Tap()
        {
            for (int i = 0; i < 50; i++)
            {
                if (_reader.Poll() is { Kind: ReaderEventKind.Tap or ReaderEventKind.RepeatSuppressed, Card: { } card })
                {
                    return new CardRead(card.Tech, card.Uid.ToArray(), "reception") { Jpki = card.Jpki };
                }

                Time.Advance(_reader.Settings.PollInterval);
            }

            throw new InvalidOperationException("the reader did not read the card");
        }

        /// <summary>The card taken away and put back: a new tap.</summary>
        public CardRead Retap()
        {
            _rig.Field.Clear();
            for (int i = 0; i < 10; i++)
            {
                _reader.Poll();
                Time.Advance(_reader.Settings.PollInterval);
            }

            _rig.Field.Place(Card);
            return Tap();
        }

        public string[] Lines()
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }

        /// <summary>Completes once a display line containing <paramref name="text"/> has been shown.</summary>
        public Task WhenShown(string text)
        {
            lock (_lines)
            {
                if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                {
                    return Task.CompletedTask;
                }

                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((text, seen));
                return seen.Task.WaitAsync(Patience);
            }
        }

        private void OnShown(string line)
        {
            lock (_lines)
            {
                _lines.Add(line);
                foreach (var w in _waiting.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    w.Seen.TrySetResult();
                    _waiting.Remove(w);
                }
            }
        }

        public void Dispose()
        {
            _keypad?.Dispose();
            Keys?.Dispose();
            _reader.Dispose();
            _rig.Dispose();
            _feedback.Dispose();
            Ledger.Dispose();
            Storage.Dispose();
            Site.Dispose();
        }
    }

    internal sealed class CapturingLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public string[] Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception) + (exception is null ? "" : " " + exception));
            }
        }
    }
}
