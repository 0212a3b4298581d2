using System.Device.Gpio;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Feedback;

/// <summary>The text line a passenger reads (Japanese with English beside it).</summary>
public sealed class TextDisplay
{
    private readonly string? _file;
    private readonly ILogger _log;
    private readonly object _gate = new();

    public TextDisplay(string? file = null, ILogger? log = null)
    {
        _file = file;
        _log = log ?? NullLogger.Instance;
    }

    public string Line { get; private set; } = "";

    /// <summary>Raised with each new line (the simulator and the control socket listen).</summary>
    public event Action<string>? Shown;

    public void Show(string line)
    {
        lock (_gate)
        {
            Line = line;
            if (_file is not null)
            {
                try
                {
                    File.WriteAllText(_file, line + "\n");
                }
                catch (IOException e)
                {
                    _log.LogWarning("Display file {File} not written: {Error}", _file, e.Message);
                }
            }
        }

        Shown?.Invoke(line);
    }
}

/// <summary>
/// Green/red LED and buzzer on GPIO pins from the configuration, plus the display line. The lights
/// go on at once and off after <see cref="FeedbackOptions.LightFor"/> (a timer, not a sleep), so
/// showing feedback never holds up the next tap.
/// </summary>
public sealed class TerminalFeedback : IDisposable
{
    private readonly GpioController? _gpio;
    private readonly FeedbackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly ITimer _lightsOff;
    private readonly ITimer _buzzerOff;
    private string? _idle;

    public TerminalFeedback(GpioController? gpio, FeedbackOptions options, TextDisplay display, TimeProvider? time = null, ILogger? log = null)
    {
        _gpio = gpio;
        _options = options;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        Display = display;
        _lightsOff = _time.CreateTimer(_ => Switch(lights: false), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _buzzerOff = _time.CreateTimer(_ => Set(_options.BuzzerPin, false), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (int pin in new[] { options.GreenPin, options.RedPin, options.BuzzerPin })
        {
            if (pin >= 0 && _gpio is not null)
            {
                _gpio.OpenPin(pin, PinMode.Output);
                _gpio.Write(pin, Level(false));
            }
        }
    }

    public TextDisplay Display { get; }

    /// <summary>Shows the outcome of a tap: green or red light, a beep (two for red), the line.</summary>
    public void Show(TapOutcome outcome)
    {
        lock (_gate)
        {
            Set(_options.GreenPin, outcome.Green);
            Set(_options.RedPin, !outcome.Green);
            Set(_options.BuzzerPin, true);
            _buzzerOff.Change(outcome.Green ? _options.BeepFor : _options.BeepFor * 3, Timeout.InfiniteTimeSpan);
            _lightsOff.Change(_options.LightFor, Timeout.InfiniteTimeSpan);
        }

        Display.Show(outcome.Display);
    }

    /// <summary>A standing message shown between taps (e.g. storage full), or null for the normal idle line.</summary>
    public void SetIdle(string? message)
    {
        _idle = message;
        Display.Show(message ?? IdleLine);
    }

    public const string IdleLine = "カードをタッチしてください / Please tap your card";

    private void Switch(bool lights)
    {
        lock (_gate)
        {
            Set(_options.GreenPin, lights);
            Set(_options.RedPin, lights);
        }

        Display.Show(_idle ?? IdleLine);
    }

    private void Set(int pin, bool on)
    {
        if (pin < 0 || _gpio is null)
        {
            return;
        }

        try
        {
            _gpio.Write(pin, Level(on));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            _log.LogWarning("GPIO pin {Pin} not switched: {Error}", pin, e.Message);
        }
    }

    private PinValue Level(bool on) => on ^ _options.ActiveLow ? PinValue.High : PinValue.Low;

    public void Dispose()
    {
        _lightsOff.Dispose();
        _buzzerOff.Dispose();
    }
}
