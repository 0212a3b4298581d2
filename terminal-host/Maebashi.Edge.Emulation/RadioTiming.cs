namespace Maebashi.Edge.Emulation;

/// <summary>
/// The emulated timing model of the air between a reader chip and the cards: ISO/IEC 14443 Type A at 106 kbit/s. The
/// emulated chips answer at once, so tests run fast; what each exchange would have taken on the air is added to
/// <see cref="RfField.AirTime"/>, from which the benchmarks' radio-time figures are computed (docs/benchmarks.md). Not
/// modelled: the host interface (SPI, I²C, UART) and the chips' own firmware time; a PN532's listing of FeliCa and
/// Type B targets (only its Type A activation and ISO-DEP blocks are counted).
/// </summary>
public static class RadioTiming
{
    /// <summary>One bit (elementary time unit) at 106 kbit/s: 128 / fc, fc = 13.56 MHz (ISO/IEC 14443-2): ≈ 9.44 µs.</summary>
    public const double EtuMicroseconds = 128 / 13.56;

    /// <summary>
    /// Frame delay time: a card answers 1236 / fc ≈ 91 µs after the reader's frame ends (ISO/IEC 14443-3 6.2.1.1, the
    /// longer of its two values), and the model lets the reader wait as long after the answer before its next frame.
    /// </summary>
    public const double FrameDelayMicroseconds = 1236 / 13.56;

    /// <summary>The frame size both sides use for ISO-DEP blocks in the model (FSD of the readers here, FSC of the cards' ATS).</summary>
    public const int IsoDepFrameSize = 64;

    /// <summary>
    /// A frame on the air: start and end of communication, 9 bits per whole byte (8 and odd parity), then
    /// <paramref name="lastBits"/> of a last partial byte (a short frame, REQA/WUPA, is 7 bits without parity).
    /// </summary>
    public static double FrameMicroseconds(int bytes, int lastBits = 0)
    {
        int whole = lastBits == 0 ? bytes : bytes - 1;
        return ((whole * 9) + lastBits + 2) * EtuMicroseconds;
    }

    /// <summary>The reader's frame, the card's frame delay and processing, its answer, and the delay before the reader's next frame.</summary>
    public static double ExchangeMicroseconds(int sentBytes, int sentLastBits, int answerBytes, int answerLastBits, double processingMicroseconds) =>
        FrameMicroseconds(sentBytes, sentLastBits) + FrameDelayMicroseconds + processingMicroseconds
        + FrameMicroseconds(answerBytes, answerLastBits) + FrameDelayMicroseconds;

    /// <summary>
    /// One APDU as a reader that runs ISO/IEC 14443-4 itself (the PN532) moves it: the command in I-blocks of at most
    /// <see cref="IsoDepFrameSize"/> − 3 information bytes (PCB before, CRC_A after), each chained block acknowledged by
    /// the card's R(ACK); the card's processing; the response in I-blocks likewise, each chained one fetched by the
    /// reader's R(ACK).
    /// </summary>
    public static double IsoDepApduMicroseconds(int commandBytes, int responseBytes, double processingMicroseconds)
    {
        const int Information = IsoDepFrameSize - 3;
        const int Block = 3; // PCB + CRC_A
        double total = processingMicroseconds;
        int commandBlocks = Math.Max(1, (commandBytes + Information - 1) / Information);
        int responseBlocks = Math.Max(1, (responseBytes + Information - 1) / Information);
        for (int i = 0; i < commandBlocks - 1; i++)
        {
            total += ExchangeMicroseconds(Block + Information, 0, Block, 0, 0);
        }

        int lastCommand = commandBytes - ((commandBlocks - 1) * Information);
        int firstResponse = Math.Min(responseBytes, Information);
        total += ExchangeMicroseconds(Block + lastCommand, 0, Block + firstResponse, 0, 0);
        for (int i = 1; i < responseBlocks; i++)
        {
            int part = Math.Min(Information, responseBytes - (i * Information));
            total += ExchangeMicroseconds(Block, 0, Block + part, 0, 0);
        }

        return total;
    }

    /// <summary>
    /// Type A activation as a reader runs it: REQA → ATQA, then per cascade level anticollision (SEL NVB → 4 UID bytes and
    /// BCC) and SELECT (SEL NVB UID BCC CRC_A → SAK CRC_A); for an ISO/IEC 14443-4 card also RATS → ATS.
    /// </summary>
    public static double ActivationMicroseconds(int cascadeLevels, int atsBytes)
    {
        double total = ExchangeMicroseconds(1, 7, 2, 0, 0);
        for (int level = 0; level < cascadeLevels; level++)
        {
            total += ExchangeMicroseconds(2, 0, 5, 0, 0) + ExchangeMicroseconds(9, 0, 3, 0, 0);
        }

        return atsBytes > 0 ? total + ExchangeMicroseconds(4, 0, atsBytes + 2, 0, 0) : total;
    }
}
