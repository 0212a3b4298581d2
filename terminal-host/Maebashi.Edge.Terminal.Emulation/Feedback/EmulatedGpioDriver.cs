using System.Collections.Concurrent;
using System.Device.Gpio;

namespace Maebashi.Edge.Terminal.Emulation.Feedback;

/// <summary>
/// A GPIO driver with no hardware behind it: pins hold the last value written and every write is
/// recorded. Used in tests, the benchmark and the demo (a GpioController over it), since
/// <c>new GpioController()</c> needs a real gpiochip.
/// </summary>
public sealed class EmulatedGpioDriver : GpioDriver
{
    private readonly ConcurrentDictionary<int, PinValue> _values = new();
    private readonly ConcurrentDictionary<int, PinMode> _modes = new();
    private readonly ConcurrentQueue<(int Pin, PinValue Value)> _writes = new();

    /// <summary>Every write, in order (pin, value).</summary>
    public IReadOnlyCollection<(int Pin, PinValue Value)> Writes => _writes;

    public PinValue ValueOf(int pin) => _values.TryGetValue(pin, out PinValue v) ? v : PinValue.Low;

    /// <summary>How many times the pin was switched to <paramref name="value"/>.</summary>
    public int CountWrites(int pin, PinValue value) => _writes.Count(w => w.Pin == pin && w.Value == value);

    protected override int PinCount => 64;

    protected override void OpenPin(int pinNumber) => _values.TryAdd(pinNumber, PinValue.Low);

    protected override void ClosePin(int pinNumber) => _modes.TryRemove(pinNumber, out _);

    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => _modes.TryGetValue(pinNumber, out PinMode m) ? m : PinMode.Input;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => ValueOf(pinNumber);

    protected override void Write(int pinNumber, PinValue value)
    {
        _values[pinNumber] = value;
        _writes.Enqueue((pinNumber, value));
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne();
        return new WaitForEventResult { TimedOut = true, EventTypes = PinEventTypes.None };
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        // Output pins only: the feedback never listens to pin changes.
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
    }
}
