namespace Maebashi.Edge.Firmware.Taps
{
    /// <summary>The validator's indicators: a green LED, a red LED and a buzzer (hardware/pinmaps).</summary>
    public interface IFeedback
    {
        void Set(bool green, bool red, bool buzzer);
    }

    /// <summary>What the passenger sees and hears.</summary>
    public enum FeedbackPattern : byte
    {
        None = 0,

        /// <summary>Green 0.6 s with one short beep.</summary>
        Accept = 1,

        /// <summary>Green 0.6 s with two short beeps: accepted by the validator alone (host did not answer in time).</summary>
        AcceptOffline = 2,

        /// <summary>Red 1 s with a long beep.</summary>
        Deny = 3,

        /// <summary>Red blinking three times, no beep: the reader chip or storage is out of order.</summary>
        OutOfService = 4,
    }

    /// <summary>Plays <see cref="FeedbackPattern"/>s as timed steps without blocking the loop. Patterns are static tables
    /// (pairs of duration ms and bits: 1 green, 2 red, 4 buzzer).</summary>
    public sealed class FeedbackPlayer
    {
        private static readonly int[] AcceptSteps = new int[] { 100, 5, 500, 1 };
        private static readonly int[] AcceptOfflineSteps = new int[] { 80, 5, 80, 1, 80, 5, 360, 1 };
        private static readonly int[] DenySteps = new int[] { 400, 6, 600, 2 };
        private static readonly int[] OutOfServiceSteps = new int[] { 200, 2, 200, 0, 200, 2, 200, 0, 200, 2 };

        private readonly IFeedback _feedback;
        private int[] _steps;
        private int _index;
        private long _stepEndsAt;
        private int _lastBits = -1;

        public FeedbackPlayer(IFeedback feedback)
        {
            _feedback = feedback;
            _steps = AcceptSteps;
            _index = _steps.Length;
        }

        public FeedbackPattern Current { get; private set; }

        /// <summary>Patterns started since power-up, per pattern (index = pattern value); for the simulator and tests.</summary>
        public readonly int[] Played = new int[5];

        public bool Playing
        {
            get { return _index < _steps.Length; }
        }

        public void Play(FeedbackPattern pattern, long nowMs)
        {
            _steps = pattern == FeedbackPattern.Accept ? AcceptSteps
                : pattern == FeedbackPattern.AcceptOffline ? AcceptOfflineSteps
                : pattern == FeedbackPattern.Deny ? DenySteps
                : OutOfServiceSteps;
            Current = pattern;
            Played[(int)pattern]++;
            _index = 0;
            _stepEndsAt = nowMs + _steps[0];
            Apply(_steps[1]);
        }

        public void Step(long nowMs)
        {
            while (_index < _steps.Length && nowMs >= _stepEndsAt)
            {
                _index += 2;
                if (_index >= _steps.Length)
                {
                    Current = FeedbackPattern.None;
                    Apply(0);
                    return;
                }

                _stepEndsAt += _steps[_index];
                Apply(_steps[_index + 1]);
            }
        }

        private void Apply(int bits)
        {
            if (bits == _lastBits)
            {
                return;
            }

            _lastBits = bits;
            _feedback.Set((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
        }
    }
}
