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
/// one at a time; columns its inputs, pulled down. The binding scans in <see cref="KeyMatrix.ReadKey"/> on a thread of
/// this class (not the binding's own listening thread: its pins are closed under it on disposal, and only a thread of
/// ours can catch what that throws) and reports each press; this class keeps the presses for
/// <see cref="ReadKeyAsync"/>, whose wait runs on the injected clock. The keys are never logged (they are PIN digits).
/// </summary>
public sealed class MatrixKeypad : IKeypad, IDisposable
{
    /// <summary>The keys by row, then column, as printed on a 4×3 keypad.</summary>
    public const string Layout = "123456789*0#";

    private readonly KeyMatrix _matrix;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Thread _scanner;
    private volatile bool _stopping;
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
        _log = log ?? NullLogger.Instance;
        try
        {
            _matrix = new KeyMatrix(options.RowPins, options.ColumnPins, options.ScanInterval, PinMode.InputPullDown, gpio, shouldDispose: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new TerminalConfigException("configuration", [$"Keypad: the keypad's GPIO pins could not be opened with pull-downs ({e.Message})"]);
        }

        _matrix.KeyEvent += OnKey;
        _scanner = new Thread(Scan) { IsBackground = true, Name = "PIN keypad scan" };
        _scanner.Start();
        _log.LogInformation("PIN keypad ready: {Rows} rows, {Columns} columns", options.RowPins.Count, options.ColumnPins.Count);
    }

    /// <summary>Scans until disposed: each ReadKey returns after a change, which <see cref="OnKey"/> has already taken.</summary>
    private void Scan()
    {
        while (!_stopping)
        {
            try
            {
                _matrix.ReadKey();
            }
            catch (Exception) when (_stopping)
            {
                // The pins were closed mid-scan by Dispose.
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // The keypad is gone for this run: PIN entries time out and say so.
                _log.LogError("PIN keypad scan stopped: {Error}", e.Message);
                return;
            }
        }
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
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _matrix.KeyEvent -= OnKey;
        // Closing the pins ends the scan (ReadKey returns, or throws on the scanner's thread, where it is caught).
        _matrix.Dispose();
        _scanner.Join(TimeSpan.FromSeconds(2));
    }
}
