using Maebashi.Edge.Firmware.Taps;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>The validator's LEDs and buzzer as state a test or the demo can read.</summary>
public sealed class SimulatedIndicators : IFeedback
{
    public bool Green { get; private set; }

    public bool Red { get; private set; }

    public bool Buzzer { get; private set; }

    // Made only when somebody waits (the firmware's allocation-free tap loop drives Set).
    private readonly Lock _beepGate = new();
    private TaskCompletionSource? _nextBeep;

    /// <summary>Times the buzzer was switched on.</summary>
    public int Beeps { get; private set; }

    /// <summary>Completes the next time the buzzer is switched on (every verdict beeps: accept, offline accept, deny).</summary>
    public Task NextBeep
    {
        get
        {
            lock (_beepGate)
            {
                return (_nextBeep ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    public void Set(bool green, bool red, bool buzzer)
    {
        if (buzzer && !Buzzer)
        {
            Beeps++;
            TaskCompletionSource? waiting;
            lock (_beepGate)
            {
                waiting = _nextBeep;
                _nextBeep = null;
            }

            waiting?.TrySetResult();
        }

        Green = green;
        Red = red;
        Buzzer = buzzer;
    }
}
