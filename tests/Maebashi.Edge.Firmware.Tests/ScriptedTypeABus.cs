using Maebashi.Edge.Firmware.Mfrc522;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>
/// A minimal, allocation-free MFRC522 register model with one 7-byte-UID card, for the allocation test only: the full
/// emulator allocates per frame (lists, arrays), which would hide the firmware's own allocations. It answers REQA,
/// anticollision, SELECT (cascade levels 1–2), HLTA and CalcCRC the way the chip does; the driver's correctness against
/// the real emulator is tested in <see cref="Mfrc522DriverTests"/>.
/// </summary>
internal sealed class ScriptedTypeABus : IRegisterBus
{
    private static readonly byte[] Uid = [0x04, 0x52, 0x6A, 0x1B, 0x33, 0x80, 0x91];
    private readonly byte[] _regs = new byte[64];
    private readonly byte[] _fifo = new byte[64];
    private int _fifoCount;
    private int _fifoRead;
    private int _state; // 0 idle, 1 ready, 2 active, 3 halted
    private int _level = 1;

    public ScriptedTypeABus() => Reset();

    public bool CardPresent { get; set; }

    public byte Read(Register register)
    {
        switch (register)
        {
            case Register.FifoData:
                return _fifoRead < _fifoCount ? _fifo[_fifoRead++] : (byte)0;
            case Register.FifoLevel:
                return (byte)(_fifoCount - _fifoRead);
            default:
                return _regs[(int)register];
        }
    }

    public void Write(Register register, byte value)
    {
        switch (register)
        {
            case Register.ComIrq:
            case Register.DivIrq:
                _regs[(int)register] = (value & 0x80) != 0 ? (byte)(_regs[(int)register] | (value & 0x7F)) : (byte)(_regs[(int)register] & ~value);
                return;
            case Register.FifoLevel:
                if ((value & 0x80) != 0)
                {
                    _fifoCount = 0;
                    _fifoRead = 0;
                }

                return;
            case Register.FifoData:
                _fifo[_fifoCount++] = value;
                return;
            case Register.Command:
                _regs[(int)Register.Command] = (byte)(value & 0x0F);
                if ((value & 0x0F) == (byte)PcdCommand.SoftReset)
                {
                    Reset();
                }
                else if ((value & 0x0F) == (byte)PcdCommand.CalcCrc)
                {
                    ushort crc = CrcA(_fifo, _fifoRead, _fifoCount - _fifoRead);
                    _regs[(int)Register.CrcResultL] = (byte)crc;
                    _regs[(int)Register.CrcResultH] = (byte)(crc >> 8);
                    _regs[(int)Register.DivIrq] |= 0x04;
                }

                return;
            case Register.BitFraming:
                _regs[(int)Register.BitFraming] = (byte)(value & 0x7F);
                if ((value & 0x80) != 0 && _regs[(int)Register.Command] == (byte)PcdCommand.Transceive)
                {
                    Transceive(value & 0x07);
                }

                return;
            default:
                _regs[(int)register] = value;
                return;
        }
    }

    public void ReadFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[offset + i] = Read(Register.FifoData);
        }
    }

    public void WriteFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Write(Register.FifoData, buffer[offset + i]);
        }
    }

    /// <summary>The card leaves the field (loses power: idle when it comes back).</summary>
    public void Lift()
    {
        CardPresent = false;
        _state = 0;
    }

    private void Reset()
    {
        Array.Clear(_regs);
        _regs[(int)Register.Version] = 0x92;
        _fifoCount = 0;
        _fifoRead = 0;
    }

    private void Transceive(int txLastBits)
    {
        int n = _fifoCount - _fifoRead;
        byte b0 = _fifo[_fifoRead];
        byte b1 = n > 1 ? _fifo[_fifoRead + 1] : (byte)0;
        _fifoCount = 0;
        _fifoRead = 0;
        _regs[(int)Register.Error] = 0;
        bool antenna = (_regs[(int)Register.TxControl] & 0x03) == 0x03;
        if (!antenna || !CardPresent)
        {
            Silent();
            return;
        }

        bool reqa = n == 1 && txLastBits == 7 && b0 == 0x26;
        bool wupa = n == 1 && txLastBits == 7 && b0 == 0x52;
        if ((reqa && _state == 0) || (wupa && (_state == 0 || _state == 3)))
        {
            _state = 1;
            _level = 1;
            Answer(0x44, 0x00);
            return;
        }

        if (n == 2 && b1 == 0x20 && _state == 1)
        {
            int level = b0 == 0x93 ? 1 : 2;
            if (level != _level)
            {
                Silent();
                return;
            }

            if (level == 1)
            {
                Answer5(0x88, Uid[0], Uid[1], Uid[2]);
            }
            else
            {
                Answer5(Uid[3], Uid[4], Uid[5], Uid[6]);
            }

            return;
        }

        if (n == 9 && b1 == 0x70 && _state == 1)
        {
            bool last = b0 == 0x95;
            byte sak = last ? (byte)0x08 : (byte)0x04;
            if (last)
            {
                _state = 2;
            }
            else
            {
                _level = 2;
            }

            _fifo[0] = sak;
            ushort crc = CrcA(_fifo, 0, 1);
            Answer(sak, (byte)crc, (byte)(crc >> 8));
            return;
        }

        if (n == 4 && b0 == 0x50)
        {
            _state = 3;
        }

        Silent();
    }

    private void Silent() => _regs[(int)Register.ComIrq] |= 0x01;

    private void Answer5(byte a, byte b, byte c, byte d) => AnswerBytes(a, b, c, d, (byte)(a ^ b ^ c ^ d), 5);

    private void Answer(byte a, byte b) => AnswerBytes(a, b, 0, 0, 0, 2);

    private void Answer(byte a, byte b, byte c) => AnswerBytes(a, b, c, 0, 0, 3);

    private void AnswerBytes(byte a, byte b, byte c, byte d, byte e, int count)
    {
        _fifo[0] = a;
        _fifo[1] = b;
        _fifo[2] = c;
        _fifo[3] = d;
        _fifo[4] = e;
        _fifoCount = count;
        _fifoRead = 0;
        _regs[(int)Register.Control] = 0;
        _regs[(int)Register.ComIrq] |= 0x30;
    }

    /// <summary>ISO/IEC 14443-3 annex B CRC_A (preset 0x6363), low byte first.</summary>
    private static ushort CrcA(byte[] data, int offset, int count)
    {
        int crc = 0x6363;
        for (int i = offset; i < offset + count; i++)
        {
            int b = data[i] ^ (crc & 0xFF);
            b = (b ^ (b << 4)) & 0xFF;
            crc = (crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4);
        }

        return (ushort)crc;
    }
}
