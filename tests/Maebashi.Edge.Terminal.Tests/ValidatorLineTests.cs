using System.Threading.Channels;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// Door validators on the bus's RS-485 line feed the terminal like any other reader: the firmware core
/// (simulated, over the MFRC522 emulator) asks the terminal for the verdict and the fare, then its
/// recorded tap lands in the ledger.
/// </summary>
[Trait("Category", "Terminal")]
[Trait("Category", "Firmware")]
public sealed class ValidatorLineTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestSite _site = new();
    private readonly MemoryLedgerStorage _storage = new();
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));
    private PipelineRig _rig = null!;
    private ValidatorBusSimulator _validators = null!;
    private ITapSource _line = null!;
    private ITapSource _rearStatus = null!;
    private RecordingSink _sink = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _site.Options.Readers =
        [
            new ReaderOptions { Name = "front", Driver = "validator", Door = "front", Tap = "board", Settings = { ["line"] = "sim", ["address"] = "1" } },
            new ReaderOptions { Name = "rear", Driver = "validator", Door = "rear", Tap = "alight", Settings = { ["line"] = "sim", ["address"] = "2" } },
        ];
        // A ride takes minutes; here the alighting follows within a second on the real clock the link runs on,
        // so the terminal's repeat window (same card within 10 s is the same tap) is shortened for the test.
        _site.Options.RepeatWindow = TimeSpan.FromMilliseconds(1);
        _rig = new PipelineRig(_site.Options, _storage);
        Assert.Null(_rig.Cloud.ApplyConfig(SampleConfig.BusBytes()));
        _rig.Vehicle.Set("R01", "S01");
        _validators = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear("V0042"));
        var parts = new TerminalParts();
        parts.ValidatorLines["sim"] = () => _validators.HostPort;
        ValidatorLineTapSourceFactory factory = parts.ReaderFactories.OfType<ValidatorLineTapSourceFactory>().Single();
        _line = factory.Create(_site.Options.Readers[0], _site.Options, NullLoggerFactory.Instance)!;
        _rearStatus = factory.Create(_site.Options.Readers[1], _site.Options, NullLoggerFactory.Instance)!;
        _sink = new RecordingSink(_rig.Pipeline);
        _running = _line.RunAsync(_sink, _stop.Token);
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(Timeout);
        await _validators.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        _rig?.Dispose();
        _storage.Dispose();
        _site.Dispose();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_ride_through_the_door_validators_is_recorded_with_the_fare_shown_on_alighting()
    {
        byte[] uid = Convert.FromHexString("04A1B2C3D4E5F6");
        await _validators.TapAsync(0, new TypeACard(uid), TimeSpan.FromMilliseconds(300), _stop.Token);
        TapOutcome board = await _sink.Next(_stop.Token);
        Assert.Equal(Verdict.Accept, board.Verdict);
        Assert.Equal(EventTypes.Board, board.Event!.Type);
        Assert.Equal("front", board.Event.Ctx.Door);
        Assert.Equal(TestSite.Token(CardTech.Iso14443A, "04A1B2C3D4E5F6"), board.Event.Card!.Tok);

        _rig.Vehicle.Set(null, "S03");
        await _validators.TapAsync(1, new TypeACard(uid), TimeSpan.FromMilliseconds(300), _stop.Token);
        TapOutcome alight = await _sink.Next(_stop.Token);
        Assert.Equal(EventTypes.Alight, alight.Event!.Type);
        Assert.Equal("rear", alight.Event.Ctx.Door);
        Assert.Equal("運賃 220円 / Fare ¥220", alight.Display);
        Assert.Equal(220, alight.Fare);
        Assert.Equal(Decisions.Accept, alight.Event.Decision);
        // The host answered in time: neither tap is an offline accept.
        Assert.Null(board.Event.Ctx.Offline);
        Assert.Null(alight.Event.Ctx.Offline);
        Assert.Equal(2, _rig.Ledger.UnackedSeqs(10).Count);
        Assert.True(_line.Snapshot().Taps >= 2);
        Assert.Equal("rear", _rearStatus.Snapshot().Name);
    }

    [Fact]
    [Trait("Category", "CardAuth")]
    public async Task A_city_card_at_a_door_validator_is_recorded_with_the_sun_message_it_mirrored_and_a_copy_without_one()
    {
        byte[] uid = Convert.FromHexString("04C1D2E3F40517");
        var card = Ntag424DnaCard.Personalised(uid, Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), readCounter: 6);
        await _validators.TapAsync(0, card, TimeSpan.FromMilliseconds(300), _stop.Token);
        TapOutcome board = await _sink.Next(_stop.Token);
        Assert.Equal(TestSite.Token(CardTech.Iso14443A, "04C1D2E3F40517"), board.Event!.Card!.Tok);
        (byte[] e, byte[] c) = card.LastMirrored!.Value;
        Assert.Equal(Convert.ToHexString(e), board.Event.Card.Sun!.E);
        Assert.Equal(Convert.ToHexString(c), board.Event.Card.Sun.C);
        Assert.Equal(7, card.ReadCounter);

        // The same UID on a card without the keys, at the other door: recorded, and without a SUN message.
        await _validators.TapAsync(1, new TypeACard(uid, sak: 0x00), TimeSpan.FromMilliseconds(300), _stop.Token);
        TapOutcome copy = await _sink.Next(_stop.Token);
        Assert.Equal(board.Event.Card.Tok, copy.Event!.Card!.Tok);
        Assert.Null(copy.Event.Card.Sun);
    }

    [Fact]
    public async Task A_card_on_the_deny_list_is_refused_at_the_door_and_kept_for_audit()
    {
        string[] listed = ["DEADBEEF", "CAFEBABE", "1A2B3C4D", "0F0E0D0C"];
        Assert.Null(_rig.Cloud.ApplyDeny(SampleConfig.Deny(1, [.. listed.Select(u => TestSite.Token(CardTech.Iso14443A, u))])));
        TapOutcome? denied = null;
        foreach (string card in listed)
        {
            await _validators.TapAsync(0, new TypeACard(Convert.FromHexString(card)), TimeSpan.FromMilliseconds(300), _stop.Token);
            TapOutcome o = await _sink.Next(_stop.Token);
            if (o.Event!.Ctx.Offline is null)
            {
                denied = o;
                break;
            }

            // The host's verdict missed the validator's 100 ms (a loaded machine): it accepted on its own and
            // says so; that ride is recorded as it happened. Try the next listed card.
            Assert.Equal(Decisions.Accept, o.Event.Decision);
        }

        Assert.NotNull(denied);
        Assert.Equal(Decisions.Deny, denied.Event!.Decision);
        Assert.Equal(EventTypes.Board, denied.Event.Type);
        Assert.True(_validators.Validators[0].Indicators.Red || _validators.Validators[0].Indicators.Beeps > 0);
    }

    /// <summary>The pipeline, with each recorded outcome of a validator tap handed to the test as it happens.</summary>
    private sealed class RecordingSink(ITapSink inner) : ITapSink
    {
        private readonly Channel<TapOutcome> _outcomes = Channel.CreateUnbounded<TapOutcome>();

        public TapOutcome Preview(CardRead read) => inner.Preview(read);

        public async ValueTask<TapOutcome> TapAsync(CardRead read, CancellationToken cancellationToken = default)
        {
            TapOutcome o = await inner.TapAsync(read, cancellationToken);
            if (o.Verdict != Verdict.Repeat)
            {
                // A validator resends a tap whose acknowledgement it missed; the terminal knows it already.
                _outcomes.Writer.TryWrite(o);
            }

            return o;
        }

        public async Task<TapOutcome> Next(CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            return await _outcomes.Reader.ReadAsync(timeout.Token);
        }
    }
}
