using System.Device.Gpio;
using System.Threading.Channels;
using Iot.Device.KeyMatrix;
using Maebashi.Edge.Terminal.Config;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.PinEntry;

/// <summary>A keypad a patient types a PIN on: the next key pressed, within a time.</summary>
public interface IKeypad
{
    /// <summary>The next key pressed ('0'–'9', '*', '#'), or null when none came within <paramref name="timeout"/>.</summary>
    ValueTask<char?> ReadKeyAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Forgets the keys pressed before now (before the prompt was shown).</summary>
    void Discard();
}

/// <summary>
/// A 4×3 matrix keypad on GPIO through Iot.Device.Bindings' <see cref="KeyMatrix"/>: rows are its outputs, driven high
/// one at a time; columns its inputs, pulled down. The binding scans on its own thread and reports each press; this
/// class keeps the presses for <see cref="ReadKeyAsync"/>, whose wait runs on the injected clock. The keys are never
/// logged (they are PIN digits).
/// </summary>
public sealed class MatrixKeypad : IKeypad, IDisposable
{
    /// <summary>The keys by row, then column, as printed on a 4×3 keypad.</summary>
    public const string Layout = "123456789*0#";

    private readonly KeyMatrix _matrix;
    private readonly TimeProvider _time;
    private readonly Channel<char> _pressed = Channel.CreateBounded<char>(new BoundedChannelOptions(16)
    {
        // A patient hammering keys while nobody reads: the oldest go.
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    public MatrixKeypad(KeypadOptions options, GpioController gpio, TimeProvider? time = null, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gpio);
        _time = time ?? TimeProvider.System;
        try
        {
            _matrix = new KeyMatrix(options.RowPins, options.ColumnPins, options.ScanInterval, PinMode.InputPullDown, gpio, shouldDispose: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new TerminalConfigException("configuration", [$"Keypad: the keypad's GPIO pins could not be opened with pull-downs ({e.Message})"]);
        }

        _matrix.KeyEvent += OnKey;
        _matrix.StartListeningKeyEvent();
        (log ?? NullLogger.Instance).LogInformation("PIN keypad ready: {Rows} rows, {Columns} columns", options.RowPins.Count, options.ColumnPins.Count);
    }

    public async ValueTask<char?> ReadKeyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            return await _pressed.Reader.ReadAsync(both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Discard()
    {
        while (_pressed.Reader.TryRead(out _))
        {
        }
    }

    private void OnKey(object sender, KeyMatrixEvent e)
    {
        // A press is the rising edge; the release says nothing new.
        if (e.EventType == PinEventTypes.Rising && e.Output is >= 0 and < 4 && e.Input is >= 0 and < 3)
        {
            _pressed.Writer.TryWrite(Layout[(e.Output * 3) + e.Input]);
        }
    }

    public void Dispose()
    {
        _matrix.StopListeningKeyEvent();
        _matrix.KeyEvent -= OnKey;
        // The binding's scanner finishes the row it is on before it sees the stop; its pins must stay open until then
        // (a write to a closed pin would throw on the binding's own thread). A hold time, not a wait for an event.
        Thread.Sleep((_matrix.ScanInterval * 4) + TimeSpan.FromMilliseconds(20));
        _matrix.Dispose();
    }
}
