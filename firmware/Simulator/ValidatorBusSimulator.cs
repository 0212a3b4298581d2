using Maebashi.Edge.Emulation.Cards;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>
/// N validators on one simulated RS-485 line, each running its main loop every <see cref="StepInterval"/> on a background
/// task: for the demo and for tests that run the system as it runs on a bus. The host side connects a link master to
/// <see cref="HostPort"/>.
/// </summary>
public sealed class ValidatorBusSimulator : IAsyncDisposable
{
    public static readonly TimeSpan StepInterval = TimeSpan.FromMilliseconds(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TimeProvider _time;
    private readonly List<SimulatedValidator> _validators;

    private ValidatorBusSimulator(IReadOnlyList<ValidatorSpec> specs, TimeProvider time)
    {
        Line = new SimulatedRs485Line();
        _time = time;
        _validators = [.. specs.Select(s => new SimulatedValidator(Line, s, time))];
        HostPort = Line.OpenHostPort();
        _loop = RunAsync(time, _stop.Token);
    }

    public SimulatedRs485Line Line { get; }

    public IReadOnlyList<SimulatedValidator> Validators
    {
        get
        {
            lock (_validators)
            {
                return [.. _validators];
            }
        }
    }

    /// <summary>Adds a factory-fresh validator (address 127) to the line, e.g. to try provisioning.</summary>
    public SimulatedValidator AddUnprovisioned()
    {
        var v = new SimulatedValidator(Line, null, _time);
        lock (_validators)
        {
            _validators.Add(v);
        }

        return v;
    }

    /// <summary>
    /// Fault: the validator at <paramref name="validatorIndex"/> is powered up again after a power cut (its flash's
    /// scheduled cut, <see cref="EmulatedFlash.CutPowerAt"/>): a new board on the same tap and settings flash takes its
    /// place on the line, and the dead one stays silent.
    /// </summary>
    public SimulatedValidator Restart(int validatorIndex)
    {
        lock (_validators)
        {
            SimulatedValidator dead = _validators[validatorIndex];
            Line.SetConnected(dead, false);
            dead.TapFlash.PowerOn();
            dead.SettingsFlash.PowerOn();
            var fresh = new SimulatedValidator(Line, null, _time, dead.TapFlash, dead.SettingsFlash);
            _validators[validatorIndex] = fresh;
            return fresh;
        }
    }

    /// <summary>The host's end of the line (give it to the link master).</summary>
    public Stream HostPort { get; }

    /// <summary>A bus as docs/decisions.md addresses its link: front door at address 1, rear door at address 2.</summary>
    public static IReadOnlyList<ValidatorSpec> FrontAndRear(string vehicle) =>
        [new ValidatorSpec($"{vehicle}-front", 1, 1), new ValidatorSpec($"{vehicle}-rear", 2, 2)];

    /// <summary>Starts the validators; their loops run until <see cref="DisposeAsync"/>.</summary>
    public static ValidatorBusSimulator Start(IReadOnlyList<ValidatorSpec> specs, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Select(s => s.Address).Distinct().Count() != specs.Count)
        {
            throw new ArgumentException("two validators on one line share an address", nameof(specs));
        }

        return new ValidatorBusSimulator(specs, time ?? TimeProvider.System);
    }

    /// <summary>The longest a card is held waiting for the validator's verdict.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A card held to a validator for <paramref name="holdFor"/> and until its verdict beeps (at most
    /// <see cref="MaxHold"/>), then taken away, as a passenger taps.
    /// </summary>
    public async Task TapAsync(int validatorIndex, VirtualCard card, TimeSpan holdFor, CancellationToken cancellationToken = default)
    {
        SimulatedValidator v = Validators[validatorIndex];
        Task beep = v.Indicators.NextBeep;
        v.Present(card);
        try
        {
            await Task.Delay(holdFor, cancellationToken).ConfigureAwait(false);

            // As a passenger keeps the card on the reader until the beep: on a loaded machine the simulated
            // validator's poll may not have run within holdFor, and a card lifted unread is a tap nobody made.
            try
            {
                await beep.WaitAsync(MaxHold, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No verdict (a validator out of service or powered off): the passenger walks on.
            }
        }
        finally
        {
            v.Lift(card);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await HostPort.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(StepInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (SimulatedValidator v in Validators)
            {
                try
                {
                    v.Step();
                }
                catch (PowerCutException)
                {
                    // That board is dead (PoweredOff) until Restart; the others run on.
                }
            }
        }
    }
}
