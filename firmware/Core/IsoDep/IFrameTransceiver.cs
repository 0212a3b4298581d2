namespace Maebashi.Edge.Firmware.IsoDep
{
    /// <summary>
    /// One ISO/IEC 14443 Type A frame out and its answer back, with CRC_A added to the frame and checked and removed
    /// from the answer by the implementation (a reader chip's transceive).
    /// </summary>
    public interface IFrameTransceiver
    {
        /// <summary>
        /// Sends <paramref name="frame"/>[0, <paramref name="length"/>) and waits at most <paramref name="timeoutMs"/>
        /// for the answer, written to <paramref name="answer"/>. Returns its length, or -1 on a timeout, a CRC error or
        /// any other failure of the exchange.
        /// </summary>
        int Transceive(byte[] frame, int length, byte[] answer, int timeoutMs);
    }
}
