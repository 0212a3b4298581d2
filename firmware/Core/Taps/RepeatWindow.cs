namespace Maebashi.Edge.Firmware.Taps
{
    /// <summary>docs/contract.md §3: a tap of the same card on the same device within the window (10 s) of its first tap is the
    /// same tap. Remembers the last few cards in fixed arrays.</summary>
    public sealed class RepeatWindow
    {
        private const int Slots = 8;
        private readonly byte[] _uids = new byte[Slots * Storage.TapRecord.MaxUidLength];
        private readonly int[] _lengths = new int[Slots];
        private readonly long[] _firstAt = new long[Slots];
        private readonly FeedbackPattern[] _patterns = new FeedbackPattern[Slots];
        private int _next;

        public RepeatWindow(long windowMs)
        {
            WindowMs = windowMs;
        }

        public long WindowMs { get; set; }

        /// <summary>True when the card's first tap was less than the window ago; <paramref name="pattern"/> is what it got.</summary>
        public bool IsRepeat(byte[] uid, int length, long nowMs, out FeedbackPattern pattern)
        {
            pattern = FeedbackPattern.None;
            for (int i = 0; i < Slots; i++)
            {
                if (_lengths[i] == length && length > 0 && nowMs - _firstAt[i] < WindowMs
                    && Bytes.Equal(_uids, i * Storage.TapRecord.MaxUidLength, uid, 0, length))
                {
                    pattern = _patterns[i];
                    return true;
                }
            }

            return false;
        }

        public void Remember(byte[] uid, int length, long nowMs, FeedbackPattern pattern)
        {
            int at = _next * Storage.TapRecord.MaxUidLength;
            for (int i = 0; i < length; i++)
            {
                _uids[at + i] = uid[i];
            }

            _lengths[_next] = length;
            _firstAt[_next] = nowMs;
            _patterns[_next] = pattern;
            _next = (_next + 1) % Slots;
        }
    }
}
