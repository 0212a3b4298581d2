using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>Thrown by <see cref="EmulatedFlash"/> when the emulated power is cut in the middle of a write or erase.</summary>
public sealed class PowerCutException : Exception
{
    public PowerCutException()
        : base("emulated power cut during a flash operation")
    {
    }
}

/// <summary>
/// NOR flash as the ESP32's SPI flash behaves: erase sets a sector to 0xFF, a write only clears bits (new = old AND data).
/// A power cut can be scheduled at the n-th operation: that write stops part-way (some bytes written, one byte with only
/// some of its bits cleared) or that erase leaves part of the sector erased, then every later operation fails until
/// <see cref="PowerOn"/>.
/// </summary>
public sealed class EmulatedFlash : IFlashStorage
{
    private readonly byte[] _cells;
    private readonly Lock _gate = new();
    private long _cutAtOperation = -1;
    private bool _off;
    private int _tornBytes;

    public EmulatedFlash(int sectorSize, int sectorCount)
    {
        SectorSize = sectorSize;
        SectorCount = sectorCount;
        _cells = new byte[sectorSize * sectorCount];
        Array.Fill(_cells, (byte)0xFF);
    }

    public int SectorSize { get; }

    public int SectorCount { get; }

    /// <summary>Write and erase operations so far (the index a power cut is scheduled by).</summary>
    public long Operations { get; private set; }

    /// <summary>Schedules a power cut during operation number <paramref name="operation"/> (0-based), tearing it after
    /// <paramref name="tornBytes"/> bytes (clamped to the operation's length).</summary>
    public void CutPowerAt(long operation, int tornBytes)
    {
        lock (_gate)
        {
            _cutAtOperation = operation;
            _tornBytes = tornBytes;
        }
    }

    public void PowerOn()
    {
        lock (_gate)
        {
            _off = false;
            _cutAtOperation = -1;
        }
    }

    public void EraseSector(int sector)
    {
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sector);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sector, SectorCount);
            int start = sector * SectorSize;
            if (Cut(SectorSize, out int done))
            {
                Array.Fill(_cells, (byte)0xFF, start, done);
                throw new PowerCutException();
            }

            Array.Fill(_cells, (byte)0xFF, start, SectorSize);
        }
    }

    public void Write(int address, byte[] data, int offset, int count)
    {
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(address);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(address + count, _cells.Length);
            if (Cut(count, out int done))
            {
                for (int i = 0; i < done; i++)
                {
                    _cells[address + i] &= data[offset + i];
                }

                // The byte in flight got only its high bits programmed.
                if (done < count)
                {
                    _cells[address + done] &= (byte)(data[offset + done] | 0x0F);
                }

                throw new PowerCutException();
            }

            for (int i = 0; i < count; i++)
            {
                _cells[address + i] &= data[offset + i];
            }
        }
    }

    public void Read(int address, byte[] buffer, int offset, int count)
    {
        lock (_gate)
        {
            if (_off)
            {
                throw new PowerCutException();
            }

            Array.Copy(_cells, address, buffer, offset, count);
        }
    }

    private bool Cut(int length, out int done)
    {
        done = length;
        if (_off)
        {
            throw new PowerCutException();
        }

        long index = Operations++;
        if (index != _cutAtOperation)
        {
            return false;
        }

        _off = true;
        done = Math.Clamp(_tornBytes, 0, length);
        return true;
    }
}
