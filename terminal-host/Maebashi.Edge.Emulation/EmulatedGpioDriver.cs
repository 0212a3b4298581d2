using System.Device.Gpio;

namespace Maebashi.Edge.Emulation;

/// <summary>
/// A GPIO driver for machines with no gpiochip (<c>new GpioController()</c> throws here): pins
/// hold their written values, and a pin wired to an emulated chip's reset line resets the chip
/// on its rising edge (NRSTPD / RSTPDN low then high). An input pin can be wired to a source that gives its level
/// (<see cref="WireInput"/>: the emulated keypad's contacts).
/// </summary>
public sealed class EmulatedGpioDriver : GpioDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PinValue> _values = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, Action> _resetLines = [];
    private readonly Dictionary<int, Func<PinValue>> _inputs = [];

    protected override int PinCount => 64;

    /// <summary>Wires <paramref name="pin"/> to a chip's active-low reset input.</summary>
    public void WireReset(int pin, Action hardReset)
    {
        lock (_gate)
        {
            _resetLines[pin] = hardReset;
        }
    }

    /// <summary>Wires <paramref name="pin"/> to something outside that sets its level whenever it is read.</summary>
    public void WireInput(int pin, Func<PinValue> level)
    {
        lock (_gate)
        {
            _inputs[pin] = level;
        }
    }

    /// <summary>The level last written to <paramref name="pin"/> (what a device wired to an output sees).</summary>
    public PinValue Level(int pin)
    {
        lock (_gate)
        {
            return _values.TryGetValue(pin, out PinValue value) ? value : PinValue.Low;
        }
    }

    /// <summary>Rising edges seen on each pin (tests count resets with this).</summary>
    public int RisingEdges(int pin)
    {
        lock (_gate)
        {
            return _edges.TryGetValue(pin, out int n) ? n : 0;
        }
    }

    private readonly Dictionary<int, int> _edges = [];

    protected override void OpenPin(int pinNumber)
    {
        lock (_gate)
        {
            _values.TryAdd(pinNumber, PinValue.Low);
            _modes.TryAdd(pinNumber, PinMode.Input);
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            _modes.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_gate)
        {
            _modes[pinNumber] = mode;
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_gate)
        {
            return _modes.TryGetValue(pinNumber, out PinMode mode) ? mode : PinMode.Input;
        }
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber)
    {
        Func<PinValue>? input;
        lock (_gate)
        {
            if (!_inputs.TryGetValue(pinNumber, out input))
            {
                return _values.TryGetValue(pinNumber, out PinValue value) ? value : PinValue.Low;
            }
        }

        // Outside the lock: the source reads other pins' levels.
        return input();
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        Action? reset = null;
        lock (_gate)
        {
            PinValue old = _values.TryGetValue(pinNumber, out PinValue v) ? v : PinValue.Low;
            _values[pinNumber] = value;
            if (old == PinValue.Low && value == PinValue.High)
            {
                _edges[pinNumber] = (_edges.TryGetValue(pinNumber, out int n) ? n : 0) + 1;
                _resetLines.TryGetValue(pinNumber, out reset);
            }
        }

        reset?.Invoke();
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        // No external source drives these pins: the wait ends only by cancellation.
        cancellationToken.WaitHandle.WaitOne();
        return new WaitForEventResult { TimedOut = true, EventTypes = PinEventTypes.None };
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        // Pins change only by Write; nothing to observe.
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
    }
}
