namespace Maebashi.Edge.Firmware.IsoDep
{
    /// <summary>
    /// The ISO/IEC 14443-4 half-duplex block transmission protocol over a reader chip's raw transceive, for the MFRC522
    /// (which, unlike the PN532, does not run it): RATS and the ATS (5.6, 5.2), I-blocks with alternating block numbers
    /// (7.1), chaining in both directions (7.1.2.1), R(ACK)/R(NAK) and the retransmission rules (7.5.4), and S(WTX)
    /// waiting time extensions (7.3). No CID and no NAD. Allocation-free after construction.
    /// </summary>
    public sealed class IsoDepSession : IApduTransport
    {
        /// <summary>RATS (5.6.1): start byte E0, then FSDI in the high nibble (5: FSD 64 bytes) and CID 0.</summary>
        private const byte RatsStart = 0xE0;
        private const byte Fsdi = 0x05;
        private const int Fsd = 64;

        private const byte PcbI = 0x02;
        private const byte PcbChaining = 0x10;
        private const byte PcbRAck = 0xA2;
        private const byte PcbRNak = 0xB2;
        private const byte PcbSWtx = 0xF2;
        private const byte PcbSDeselect = 0xC2;
        private const byte PcbTypeMask = 0xC0;
        private const byte PcbTypeI = 0x00;
        private const byte PcbTypeR = 0x80;
        private const byte PcbTypeS = 0xC0;

        /// <summary>FSCI → FSC (ISO/IEC 14443-4 table 1; 9 and above mean 256 in this protocol revision).</summary>
        private static readonly short[] FscTable = new short[] { 16, 24, 32, 40, 48, 64, 96, 128, 256 };

        /// <summary>Retransmissions of a block after a timeout or a garbled answer (7.5.4: the PCD may retry).</summary>
        private const int Retries = 2;

        /// <summary>Waiting time extensions granted in one exchange before the card counts as stuck.</summary>
        private const int MaxWtx = 16;

        private readonly IFrameTransceiver _chip;
        private readonly byte[] _tx = new byte[Fsd];
        private readonly byte[] _rx = new byte[258];
        private readonly byte[] _control = new byte[2];
        private int _fsc = 32;
        private int _fwtMs = 5;
        private int _blockNumber;

        public IsoDepSession(IFrameTransceiver chip)
        {
            _chip = chip;
        }

        /// <summary>Whether <see cref="Activate"/> succeeded and no exchange has failed since.</summary>
        public bool Active { get; private set; }

        /// <summary>The card's maximum frame size, from its ATS.</summary>
        public int Fsc
        {
            get { return _fsc; }
        }

        /// <summary>The frame waiting time from the ATS, in whole milliseconds (at least 1).</summary>
        public int FrameWaitingTimeMs
        {
            get { return _fwtMs; }
        }

        /// <summary>
        /// RATS to a card selected with SAK bit 6 set (ISO/IEC 14443-3 6.5.3.4: "compliant with ISO/IEC 14443-4"); reads
        /// FSCI and FWI from the ATS. Returns false when the card does not answer with a plausible ATS.
        /// </summary>
        public bool Activate()
        {
            Active = false;
            _tx[0] = RatsStart;
            _tx[1] = (byte)(Fsdi << 4);
            // Activation frame waiting time (5.7): 65536/fc ≈ 4.8 ms.
            int n = _chip.Transceive(_tx, 2, _rx, 5);
            if (n < 1 || _rx[0] != n || n < 2)
            {
                return false;
            }

            // ATS: TL, T0, then TA, TB, TC as T0's bits 4–6 announce (5.2).
            byte t0 = _rx[1];
            int fsci = t0 & 0x0F;
            _fsc = FscTable[fsci < FscTable.Length ? fsci : FscTable.Length - 1];
            int at = 2;
            if ((t0 & 0x10) != 0)
            {
                at++;
            }

            int fwi = 4;
            if ((t0 & 0x20) != 0)
            {
                if (at >= n)
                {
                    return false;
                }

                fwi = _rx[at] >> 4;
                if (fwi == 15)
                {
                    fwi = 4; // RFU: the default (5.2.5)
                }
            }

            // FWT = 256 × 16 / fc × 2^FWI ≈ 302 µs × 2^FWI (7.2).
            _fwtMs = (302 * (1 << fwi) / 1000) + 1;
            _blockNumber = 0;
            Active = true;
            return true;
        }

        /// <summary>S(DESELECT) (8): the card goes to HALT; no answer is needed.</summary>
        public void Deselect()
        {
            if (!Active)
            {
                return;
            }

            _tx[0] = PcbSDeselect;
            _chip.Transceive(_tx, 1, _rx, _fwtMs);
            Active = false;
        }

        public int Exchange(byte[] command, int length, byte[] response)
        {
            if (!Active)
            {
                return -1;
            }

            int result = Run(command, length, response);
            if (result < 0)
            {
                Active = false;
            }

            return result;
        }

        private int Run(byte[] command, int length, byte[] response)
        {
            // Send: I-blocks of at most FSC − 3 bytes of information (PCB + CRC), all but the last chained; never more than
            // our own frame of FSD bytes either (an MFRC522's FIFO holds 64 with the CRC, whatever the card accepts).
            int chunk = (_fsc < Fsd ? _fsc : Fsd) - 3;

            int sent = 0;
            int n;
            while (true)
            {
                int part = length - sent;
                bool more = part > chunk;
                if (more)
                {
                    part = chunk;
                }

                _tx[0] = (byte)(PcbI | _blockNumber | (more ? PcbChaining : 0));
                for (int k = 0; k < part; k++)
                {
                    _tx[1 + k] = command[sent + k];
                }

                n = Send(1 + part);
                if (n < 1)
                {
                    return -1;
                }

                sent += part;
                if (!more)
                {
                    break;
                }

                // A chained block is acknowledged by R(ACK) with the same block number (7.5.3.1 rule 2).
                if ((_rx[0] & 0xF6) != (PcbRAck & 0xF6) || (_rx[0] & 0x01) != _blockNumber)
                {
                    return -1;
                }

                _blockNumber ^= 1;
            }

            // Receive: the answer's I-blocks, chained while the card says so; we acknowledge each with R(ACK).
            int received = 0;
            while (true)
            {
                if ((_rx[0] & PcbTypeMask) != PcbTypeI || (_rx[0] & 0x01) != _blockNumber)
                {
                    return -1;
                }

                _blockNumber ^= 1;
                int data = n - 1;
                if (received + data > response.Length)
                {
                    return -1;
                }

                for (int k = 0; k < data; k++)
                {
                    response[received + k] = _rx[1 + k];
                }

                received += data;
                if ((_rx[0] & PcbChaining) == 0)
                {
                    return received;
                }

                _tx[0] = (byte)(PcbRAck | _blockNumber);
                n = Send(1);
                if (n < 1)
                {
                    return -1;
                }
            }
        }

        /// <summary>
        /// Sends the block in <see cref="_tx"/> and returns the card's answer in <see cref="_rx"/>, having answered its
        /// S(WTX) requests and retried with R(NAK) after a silence (7.5.4 rule 4); -1 when nothing usable came back.
        /// </summary>
        private int Send(int length)
        {
            int n = _chip.Transceive(_tx, length, _rx, _fwtMs);
            int retries = 0;
            int extensions = 0;
            while (true)
            {
                if (n < 1)
                {
                    if (retries++ >= Retries)
                    {
                        return -1;
                    }

                    // R(NAK) asks the card to send its last block again, or tells it ours was not received.
                    _control[0] = (byte)(PcbRNak | _blockNumber);
                    n = _chip.Transceive(_control, 1, _rx, _fwtMs);
                    if (n >= 1 && (_rx[0] & PcbTypeMask) == PcbTypeR && (_rx[0] & 0x10) == 0 && (_rx[0] & 0x01) != _blockNumber)
                    {
                        // R(ACK) for the other block number: the card never got our block; send it again.
                        n = _chip.Transceive(_tx, length, _rx, _fwtMs);
                    }

                    continue;
                }

                if ((_rx[0] & 0xF7) == PcbSWtx && n >= 2)
                {
                    if (++extensions > MaxWtx)
                    {
                        return -1;
                    }

                    // S(WTX) response with the same WTXM; the next wait is FWT × WTXM (7.3).
                    int wtxm = _rx[1] & 0x3F;
                    if (wtxm < 1)
                    {
                        wtxm = 1;
                    }

                    _control[0] = PcbSWtx;
                    _control[1] = (byte)wtxm;
                    n = _chip.Transceive(_control, 2, _rx, _fwtMs * wtxm);
                    continue;
                }

                return n;
            }
        }
    }
}
