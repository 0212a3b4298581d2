using System.Device.Gpio;

namespace Maebashi.Edge.Emulation;

/// <summary>
/// A 4×3 matrix keypad (1–9, *, 0, #) wired to an <see cref="EmulatedGpioDriver"/>: a pressed key connects its row to
/// its column, so a column reads high while the row of a pressed key is driven high. Keys are typed through whatever
/// scans the matrix (the terminal's KeyMatrix): each key is held until a scan has seen it down, then released until a
/// scan has seen it up, so no press is lost or doubled whatever the scan rate; <see cref="TypeAsync"/> completes when
/// the scanner has seen every key.
/// </summary>
public sealed class EmulatedKeypad : IDisposable
{
    public const string Layout = "123456789*0#";

    private readonly Lock _gate = new();
    private readonly int[] _rows;
    private readonly Queue<(char Key, TaskCompletionSource? Done)> _queue = new();
    private bool _seenDown;

    public EmulatedKeypad(IReadOnlyList<int> rowPins, IReadOnlyList<int> columnPins, EmulatedGpioDriver? driver = null)
    {
        if (rowPins is not { Count: 4 } || columnPins is not { Count: 3 })
        {
            throw new ArgumentException("a 4×3 keypad has 4 row pins and 3 column pins");
        }

        _rows = [.. rowPins];
        Driver = driver ?? new EmulatedGpioDriver();
        Gpio = new GpioController(Driver);
        for (int c = 0; c < columnPins.Count; c++)
        {
            int column = c;
            Driver.WireInput(columnPins[c], () => ReadColumn(column));
        }
    }

    public EmulatedGpioDriver Driver { get; }

    /// <summary>A controller over <see cref="Driver"/> for whatever scans the keypad.</summary>
    public GpioController Gpio { get; }

    /// <summary>Keys the scanner has seen pressed.</summary>
    public int Presses { get; private set; }

    /// <summary>Types <paramref name="keys"/> (characters of <see cref="Layout"/>) in order; completes once every key has been seen down and up.</summary>
    public Task TypeAsync(string keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Length == 0)
        {
            return Task.CompletedTask;
        }

        if (keys.Any(k => !Layout.Contains(k, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"a 4×3 keypad has the keys {Layout}", nameof(keys));
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                _queue.Enqueue((keys[i], i == keys.Length - 1 ? done : null));
            }
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private PinValue ReadColumn(int column)
    {
        // Only one row is driven high at a time; the others are low.
        int row = Array.FindIndex(_rows, r => Driver.Level(r) == PinValue.High);
        lock (_gate)
        {
            if (row < 0 || !_queue.TryPeek(out var next) || Layout.IndexOf(next.Key, StringComparison.Ordinal) != (row * 3) + column)
            {
                return PinValue.Low;
            }

            if (!_seenDown)
            {
                _seenDown = true;
                Presses++;
                return PinValue.High;
            }

            // Seen down once: released, and this scan sees it up.
            _seenDown = false;
            _queue.Dequeue();
            next.Done?.TrySetResult();
            return PinValue.Low;
        }
    }

    public void Dispose() => Gpio.Dispose();
}
