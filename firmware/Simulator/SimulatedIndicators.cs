using Maebashi.Edge.Firmware.Taps;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>The validator's LEDs and buzzer as state a test or the demo can read.</summary>
public sealed class SimulatedIndicators : IFeedback
{
    public bool Green { get; private set; }

    public bool Red { get; private set; }

    public bool Buzzer { get; private set; }

    /// <summary>Times the buzzer was switched on.</summary>
    public int Beeps { get; private set; }

    public void Set(bool green, bool red, bool buzzer)
    {
        if (buzzer && !Buzzer)
        {
            Beeps++;
        }

        Green = green;
        Red = red;
        Buzzer = buzzer;
    }
}
